"""Benchmark the live map's first load against a folium page that embeds every marker.

Not a test: run ``python bench/bench_map_load.py [--households 100000] [--incidents 5000]``.
It builds a temporary instance (``relief demo --households N``, the verdicts
of the five guarantees, and N synthetic incidents bulk-inserted through the
store), serves it with ``relief serve``, and opens in headless Chromium, in
the same run and with an empty cache each time:

- the live map (``/``) until its layers are drawn (``data-map-ready``) and the
  next frame is painted;
- a folium page with every household and incident embedded as a marker (the
  shared Leaflet inlined, canvas rendering: the fastest a folium page gets),
  served as a static file, until its load event and the next painted frame.

Goals for the live map: ≤ 3 MB transferred and ≤ 2 s to interactive.
Prints a markdown table (median of ``--runs``) and the ratios.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.web.servers import relief_env, run, serving  # noqa: E402

KINDS = ("landslide", "collapse", "debris_flow", "flood", "snow_ice", "hail", "earthquake", "drought", "other")
STATUSES = ("reported", "verifying", "verified", "responding", "stabilised", "closed")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


def build_instance(folder: Path, households: int, incidents: int) -> dict[str, str]:
    env = relief_env(f"sqlite:///{folder / 'relief.db'}", folder / "instance")
    started = time.perf_counter()
    run(env, "demo", "--households", str(households), timeout=1800)
    print(f"demo with {households:,} households: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    os.environ.update({k: v for k, v in env.items() if k.startswith("RELIEF_")})
    from relief import create_app
    from relief.cli.app import cli_context
    from relief.services.guarantees import recompute_all

    app = create_app()
    ctx = cli_context(app)
    started = time.perf_counter()
    recompute_all(ctx)
    print(f"five guarantees judged: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    add_incidents(app, incidents)
    app.extensions["relief.store"].dispose()
    return env


def add_incidents(app, n: int, seed: int = 7) -> None:
    """``n`` synthetic incidents inside the prefecture: 10 % hazard polygons, the rest points."""
    import shapely
    from shapely.geometry import Point
    from sqlalchemy import select

    from relief.store import bulk
    from relief.store.tables import Area, Incident

    store = app.extensions["relief.store"]
    rng = np.random.default_rng(seed)
    with store.read() as session:
        counties = [(code, geom)
                    for code, geom in session.execute(select(Area.code, Area.geom).where(Area.level == "county"))]
    union = shapely.union_all([g for _, g in counties])
    x0, y0, x1, y1 = union.bounds
    points: list[tuple[str, Point]] = []
    while len(points) < n:
        for lon, lat in zip(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)):
            p = Point(lon, lat)
            county = next((code for code, g in counties if g.contains(p)), None)
            if county:
                points.append((county, p))
            if len(points) == n:
                break
    now = pd.Timestamp.now(tz="UTC")
    geoms = [p.buffer(rng.uniform(0.004, 0.02), quad_segs=6) if i % 10 == 0 else p for i, (_, p) in enumerate(points)]
    frame = pd.DataFrame({
        "client_id": [f"bench-{i:06d}" for i in range(n)],
        "kind": rng.choice(KINDS, n), "status": rng.choice(STATUSES, n),
        "title": [f"合成灾情 {i:05d} 号" for i in range(n)],
        "description": ["村道边坡出现裂缝，已组织群众撤离，请核实并安排巡查。" for _ in range(n)],
        "county_code": [c for c, _ in points], "evacuate": False,
        "occurred_at": [now - pd.Timedelta(hours=float(h)) for h in rng.uniform(0, 24 * 30, n)],
        "reported_at": now, "updated_at": now, "geom": geoms,
    })
    with store.write() as session:
        bulk.insert_frame(session, Incident, frame)


def folium_everything(env: dict[str, str], out: Path) -> int:
    """The naive export: every household (coloured by worst verdict) and every incident embedded."""
    import folium
    from sqlalchemy import select

    from maps import layers, styles
    from maps.situation import render_html
    from relief import create_app
    from relief.cli.app import cli_context
    from relief.services.situation import load_bundle
    from relief.store.live_map_queries import _worst
    from relief.store.tables import GuaranteeStatus, Household

    app = create_app()
    bundle = load_bundle(cli_context(app))
    with app.extensions["relief.store"].read() as session:
        rows = session.execute(select(Household.min_lon, Household.min_lat, Household.id, _worst())
                               .outerjoin(GuaranteeStatus, GuaranteeStatus.household_id == Household.id)).all()
    app.extensions["relief.store"].dispose()
    households = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(x, 5), round(y, 5)]},
         "properties": {"id": hid, "worst": worst, "style": {"fillColor": styles.GUARANTEE_COLOURS[worst]}}}
        for x, y, hid, worst in rows]}
    fmap = folium.Map(location=[30.3, 109.5], zoom_start=8, tiles=None, prefer_canvas=True)
    layers.base_layer(bundle.areas).add_to(fmap)
    folium.GeoJson(households, name="Households",
                   marker=folium.CircleMarker(radius=3, weight=0.5, color="#fff", fill=True, fill_opacity=0.9),
                   popup=folium.GeoJsonPopup(fields=["id", "worst"])).add_to(fmap)
    layers.incident_layer(bundle.incidents).add_to(fmap)
    folium.LayerControl().add_to(fmap)
    html = render_html(fmap)
    out.write_text(html, encoding="utf-8")
    return len(rows)


def serve_folder(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


MEASURE = ("""async (ready) => {
  if (ready) await new Promise((resolve) => {
    const check = () => document.body.getAttribute('data-map-ready') === '1' ? resolve() : setTimeout(check, 10);
    check();
  });
  const painted = await new Promise((r) => requestAnimationFrame(() => """
           """requestAnimationFrame(() => r(performance.now()))));
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  return {ms: painted, bytes: entries.reduce((n, e) => n + (e.transferSize || 0), 0), requests: entries.length,
          dom: document.getElementsByTagName('*').length,
          heap: performance.memory ? performance.memory.usedJSHeapSize : null};
}""")


def measure(browser, url: str, *, ready: bool, runs: int) -> dict[str, float]:
    results = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(url, wait_until="load", timeout=300_000)
        results.append(page.evaluate(MEASURE, ready))
        context.close()
    return {key: statistics.median(r[key] for r in results) for key in ("ms", "bytes", "requests", "dom", "heap")
            if results[0][key] is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path,
                        help="build the instance here (reused when it exists) instead of a temp dir")
    parser.add_argument("--chromium",
                        default=os.environ.get("RELIEF_TEST_CHROMIUM") or shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    folder = args.keep or Path(tempfile.mkdtemp(prefix="relief-bench-map-"))
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "relief.db").exists():
        env = relief_env(f"sqlite:///{folder / 'relief.db'}", folder / "instance")
        os.environ.update({k: v for k, v in env.items() if k.startswith("RELIEF_")})
    else:
        env = build_instance(folder, args.households, args.incidents)
    static = folder / "folium"
    static.mkdir(exist_ok=True)
    started = time.perf_counter()
    markers = folium_everything(env, static / "everything.html")
    folium_bytes = (static / "everything.html").stat().st_size
    print(f"folium page with {markers:,} household markers: {time.perf_counter() - started:.1f} s, "
          f"{folium_bytes / 1e6:.1f} MB", file=sys.stderr)
    httpd, static_url = serve_folder(static)
    try:
        with serving(env, timeout=60) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            measure(browser, base + "/", ready=True, runs=1)  # warm the server's caches and the OS page cache
            live = measure(browser, base + "/", ready=True, runs=args.runs)
            naive = measure(browser, static_url + "/everything.html", ready=False, runs=args.runs)
            browser.close()
    finally:
        httpd.shutdown()
    gz = len(gzip.compress((static / "everything.html").read_bytes(), 6))
    print(f"\nMap first load, {args.households:,} households and {args.incidents:,} incidents "
          f"(median of {args.runs}, headless Chromium, empty cache)\n")
    print("| page | transferred | to interactive | requests | DOM elements | JS heap |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in (("live map `/`", live), ("folium, every marker embedded", naive)):
        heap = f"{r['heap'] / 1e6:.0f} MB" if "heap" in r else "n/a"
        print(f"| {name} | {r['bytes'] / 1e6:.2f} MB | {r['ms'] / 1000:.2f} s | {r['requests']:.0f} | "
              f"{r['dom']:,.0f} | {heap} |")
    print(f"\nratio folium / live: {naive['bytes'] / live['bytes']:.1f}× the bytes, "
          f"{naive['ms'] / live['ms']:.1f}× the time"
          f" (the folium file gzipped would still be {gz / 1e6:.1f} MB)")
    print(f"goals: ≤ 3 MB → {'met' if live['bytes'] <= 3e6 else 'MISSED'}, "
          f"≤ 2 s → {'met' if live['ms'] <= 2000 else 'MISSED'}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
