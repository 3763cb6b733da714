"""Benchmark the situation report on the demo: snapshot + HTML + PDF, time and peak memory.

Not a test: run ``python bench/bench_sitrep.py [--households 100000] [--keep DIR]``. A fresh SQLite database
in a temporary folder (or ``--database-url``) is filled by ``relief init-db`` and ``relief demo --households N``
(not timed), then ``relief sitrep --format html`` and ``relief sitrep --format pdf`` each run in a child
process; the child reports its own wall time and peak memory (``resource.getrusage`` max RSS of the child),
the goal being ≤ 10 s and ≤ 500 MB for the two together at 100,000 households.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import resource, sys, time
start = time.perf_counter()
from relief.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="relief", standalone_mode=False)
finally:
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"BENCH {took:.3f} {peak:.1f}", file=sys.stderr)
"""


def run(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    done = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, check=True)
    line = next(x for x in done.stderr.splitlines() if x.startswith("BENCH "))
    _, took, peak = line.split()
    return float(took), float(peak), done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", default=None, help="Folder to keep the HTML and PDF in.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        env = {**os.environ, "RELIEF_DATABASE_URL": url, "RELIEF_INSTANCE_PATH": str(Path(folder) / "instance")}
        env.pop("RELIEF_REDIS_URL", None)
        subprocess.run(["relief", "init-db"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        subprocess.run(["relief", "demo", "--households", str(args.households), "--reset"], env=env, check=True,
                       capture_output=True)
        print(f"demo with {args.households:,} households built in {time.perf_counter() - started:.1f} s")
        out = args.keep or str(Path(folder) / "out")
        results = {}
        for fmt in ("html", "pdf"):
            took, peak, path = run(env, "sitrep", "--format", fmt, "--out", out)
            size = Path(path.splitlines()[-1]).stat().st_size
            results[fmt] = {"seconds": took, "peak_mb": peak, "bytes": size}
            print(f"sitrep {fmt}: {took:.2f} s, peak {peak:.0f} MB, {size:,} bytes ({path.splitlines()[-1]})")
        if "pdf" in results:
            from pypdf import PdfReader

            pages = len(PdfReader(Path(out) / Path(path.splitlines()[-1]).name).pages)
            results["pdf"]["pages"] = pages
            print(f"PDF pages: {pages}")
        print(json.dumps(results))


if __name__ == "__main__":
    main()
