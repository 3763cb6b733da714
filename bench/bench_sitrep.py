"""Benchmark the situation report on the demo: snapshot + HTML + PDF, time and peak memory.

Not a test: run ``python bench/bench_sitrep.py [--households 100000] [--folder DIR [--reuse]] [--runs N]``.
A SQLite database in ``--folder`` (a temporary one by default; or ``--database-url``) is filled by
``relief init-db`` and ``relief demo --households N`` (not timed; ``--reuse`` keeps a database already built
there, which takes minutes at 100,000 households), then ``relief sitrep --as-of T --format html`` and
``--format pdf`` each run in a child process, ``--runs`` times; the child reports its own wall time and peak
memory (``resource.getrusage`` max RSS of the child), the goal being ≤ 10 s and ≤ 500 MB each at 100,000
households. The medians are printed, and the two together (the sum of the times, the larger peak); the HTML
of every run must be byte-identical. Children run in ``--folder``, so ``PYTHONPATH=<old tree>`` measures an
older checkout.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
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


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run(env: dict[str, str], folder: Path, *args: str) -> tuple[float, float, float, str]:
    """Wall and CPU time of the whole child process (interpreter start and exit included; CPU time is what
    a busy machine's wall time would be when quiet), its peak memory and its output."""
    started, cpu = time.perf_counter(), _cpu()
    done = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, cwd=folder)
    took, cpu = time.perf_counter() - started, _cpu() - cpu
    if done.returncode:
        raise SystemExit(f"relief {' '.join(args)} failed:\n{done.stderr}")
    line = next(x for x in done.stderr.splitlines() if x.startswith("BENCH "))
    _, _, peak = line.split()
    return took, cpu, float(peak), done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--folder", default=None, help="Folder for the database and the output (default: temporary).")
    parser.add_argument("--reuse", action="store_true", help="Keep the database already built in --folder.")
    parser.add_argument("--runs", type=int, default=1, help="Runs of each format (the median is reported).")
    parser.add_argument("--as-of", default=None, help="The report's moment (default: when the demo was built).")
    parser.add_argument("--keep", default=None, help="Folder to keep the HTML and PDF in.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.folder or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "bench.db"
        url = args.database_url or f"sqlite:///{database}"
        env = {**os.environ, "RELIEF_DATABASE_URL": url, "RELIEF_INSTANCE_PATH": str(folder / "instance")}
        env.pop("RELIEF_REDIS_URL", None)
        stamp = folder / "as_of.txt"
        if not (args.reuse and (args.database_url or database.exists()) and stamp.exists()):
            subprocess.run(["relief", "init-db"], env=env, check=True, capture_output=True)
            started = time.perf_counter()
            subprocess.run(["relief", "demo", "--households", str(args.households), "--reset"], env=env, check=True,
                           capture_output=True)
            print(f"demo with {args.households:,} households built in {time.perf_counter() - started:.1f} s")
            from datetime import datetime, timezone

            stamp.write_text(datetime.now(timezone.utc).replace(microsecond=0).isoformat())
        as_of = args.as_of or stamp.read_text().strip()
        out = args.keep or str(folder / "out")
        results = {}
        html: set[bytes] = set()
        for fmt in ("html", "pdf"):
            runs = []
            for _ in range(max(args.runs, 1)):
                took, cpu, peak, path = run(env, folder, "sitrep", "--as-of", as_of, "--format", fmt, "--out", out)
                target = Path(path.splitlines()[-1])
                if fmt == "html":
                    html.add(target.read_bytes())
                runs.append((took, cpu, peak))
                print(f"sitrep {fmt}: {took:.2f} s ({cpu:.2f} s CPU), peak {peak:.0f} MB, "
                      f"{target.stat().st_size:,} bytes ({target}; load {os.getloadavg()[0]:.1f})")
            results[fmt] = {"seconds": round(statistics.median(t for t, _, _ in runs), 3),
                            "cpu_seconds": round(statistics.median(c for _, c, _ in runs), 3),
                            "peak_mb": statistics.median(p for _, _, p in runs), "bytes": target.stat().st_size,
                            "runs": len(runs)}
            if fmt == "pdf":
                from pypdf import PdfReader

                results["pdf"]["pages"] = len(PdfReader(target).pages)
        results["html_identical"] = len(html) == 1
        results["together"] = {name: round(results["html"][name] + results["pdf"][name], 3)
                               for name in ("seconds", "cpu_seconds")}
        results["together"]["peak_mb"] = max(results["html"]["peak_mb"], results["pdf"]["peak_mb"])
        print(f"together (HTML then PDF): {results['together']['seconds']:.2f} s "
              f"({results['together']['cpu_seconds']:.2f} s CPU), peak {results['together']['peak_mb']:.0f} MB")
        print(json.dumps({"as_of": as_of, **results}))


if __name__ == "__main__":
    main()
