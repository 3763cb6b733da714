"""One request must not hurt everyone: limits on pixels, vertices and page sizes, heavy work off the serving loop.

The fast checks go through the test client; the last test runs a real
``relief serve`` (gevent) on the demo's 20,000 households and polls
``/api/health`` while heavy requests run one after another.
"""
from __future__ import annotations

import base64
import csv
import io
import math
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
import requests
from PIL import Image
from sqlalchemy import func, select

from relief.store.tables import Incident, Photo
from tests.web.servers import relief_env, run, serving

CST = timezone(timedelta(hours=8))
FORMULA = '=HYPERLINK("http://evil.example","x")'


def when(hours_ago: float = 1) -> str:
    return (datetime.now(CST) - timedelta(hours=hours_ago)).replace(microsecond=0).isoformat()


def ring(lon: float, lat: float, radius: float, vertices: int) -> list[list[float]]:
    """A closed GeoJSON ring of ``vertices`` distinct positions (plus the closing one)."""
    points = [[round(lon + radius * math.cos(2 * math.pi * i / vertices), 7),
               round(lat + radius * math.sin(2 * math.pi * i / vertices), 7)] for i in range(vertices)]
    return points + [points[0]]


def incident_body(**overrides) -> dict:
    body = {"client_id": str(uuid.uuid4()), "kind": "landslide", "lat": 30.28, "lon": 109.48,
            "occurred_at": when(), "description": "slope moving"}
    body.update(overrides)
    return body


def huge_png_base64() -> str:
    """9400 × 9400 pixels in about 10 KB."""
    out = io.BytesIO()
    Image.new("1", (9400, 9400), 0).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def count(store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def reporter(make_user):
    return make_user("field_reporter")


# --- input limits, through the app ------------------------------------------------------------------

def test_a_polygon_over_the_vertex_limit_is_refused_naming_geometry(client, store, reporter):
    body = incident_body(geometry={"type": "Polygon", "coordinates": [ring(109.48, 30.28, 0.05, 10_000)]},
                         evacuate=True)  # 10,001 positions with the closing one
    answer = client.post("/api/incidents", json=body, headers=reporter.headers)
    assert answer.status_code == 413, answer.get_json()
    assert answer.get_json()["error"]["code"] == "too_large" and answer.get_json()["error"]["field"] == "geometry"
    assert count(store, Incident) == 0
    body["geometry"]["coordinates"] = [ring(109.48, 30.28, 0.05, 9_999)]
    assert client.post("/api/incidents", json=body, headers=reporter.headers).status_code == 201


def test_the_vertex_limit_in_force_is_the_published_one(client, store, reporter, make_user):
    admin = make_user("admin")
    document = client.get("/api/standards").get_json()["active"]
    document["version"] = "local-vertices"
    document["geometry"] = {**document["geometry"], "max_vertices": 100}
    published = client.put("/api/standards", json={"document": document, "reason": "lighter phones"},
                           headers=admin.headers)
    assert published.status_code == 201, published.get_json()
    body = incident_body(geometry={"type": "Polygon", "coordinates": [ring(109.48, 30.28, 0.05, 150)]})
    answer = client.post("/api/incidents", json=body, headers=reporter.headers)
    assert answer.status_code == 413 and answer.get_json()["error"]["field"] == "geometry"
    assert count(store, Incident) == 0


def test_an_unclosed_ring_is_refused_naming_geometry(client, store, reporter):
    square = [[109.47, 30.27], [109.49, 30.27], [109.49, 30.29], [109.47, 30.29]]
    answer = client.post("/api/incidents", json=incident_body(geometry={"type": "Polygon", "coordinates": [square]}),
                         headers=reporter.headers)
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "geometry"
    assert "not closed" in answer.get_json()["error"]["message"]
    assert count(store, Incident) == 0


def test_a_photo_with_too_many_pixels_is_a_413_naming_it(client, store, reporter):
    answer = client.post("/api/incidents", json=incident_body(photos=[huge_png_base64()]), headers=reporter.headers)
    assert answer.status_code == 413, answer.get_json()
    assert answer.get_json()["error"]["code"] == "too_large" and answer.get_json()["error"]["field"] == "photos[0]"
    assert count(store, Incident) == 0 and count(store, Photo) == 0


def test_a_guarantee_page_has_a_maximum(client, app, make_user):
    staff = make_user("viewer")
    most = app.config["MAX_GUARANTEE_ROWS"]
    refused = client.get(f"/api/guarantees?limit={most + 1}", headers=staff.headers)
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "limit"
    assert client.get("/api/guarantees?limit=20000", headers=staff.headers).status_code == 400
    answer = client.get(f"/api/guarantees?limit={most}", headers=staff.headers)
    assert answer.status_code == 200 and answer.get_json()["limit"] == most


def test_guarantee_csv_cells_are_not_formulas(client, ctx, make_user, tmp_path):
    from relief.services import guarantees, importer
    from tests.register_samples import AS_OF, sample_register, write_register

    register = sample_register()
    households = register["households"]
    extra = households.loc[households["household_id"] == "H_FAR"].assign(household_id=FORMULA)
    register["households"] = pd.concat([households, extra], ignore_index=True)
    importer.import_register(ctx, write_register(tmp_path / "reg", register))
    guarantees.recompute_all(ctx, as_of=AS_OF)
    answer = client.get("/api/guarantees?format=csv", headers=make_user("viewer").headers)
    assert answer.status_code == 200
    ids = [row["household_id"] for row in csv.DictReader(io.StringIO(answer.get_data(as_text=True)))]
    assert "'" + FORMULA in ids and FORMULA not in ids
    rows = client.get("/api/guarantees", headers=make_user("viewer").headers).get_json()["households"]
    assert FORMULA in [r["household_id"] for r in rows]  # JSON is data: unchanged


def test_the_map_download_survives_an_address_in_a_description(client, reporter):
    text = 'see http://evil.example/x.js <script src="http://evil.example/x.js"></script>'
    assert client.post("/api/incidents", json=incident_body(description=text),
                       headers=reporter.headers).status_code == 201
    answer = client.get("/export/map.html")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "evil.example/x.js" in html and '<script src="http://evil.example' not in html


# --- as served ----------------------------------------------------------------------------------------

class HealthWatch:
    """Polls /api/health every 50 ms from its own thread; ``slowest`` is the longest wait for an answer."""

    def __init__(self, base: str) -> None:
        self.base, self.failures = base, []
        self.timeline: list[tuple[float, float]] = []  # (asked at, seconds to answer)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with requests.Session() as session:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    ok = session.get(f"{self.base}/api/health", timeout=30).ok
                except requests.RequestException as error:
                    ok = False
                    self.failures.append(repr(error))
                self.timeline.append((started, time.monotonic() - started))
                if not ok:
                    self.failures.append("not ok")
                self._stop.wait(0.05)

    def __enter__(self) -> "HealthWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    @property
    def slowest(self) -> float:
        return max(took for _, took in self.timeline)


@pytest.mark.slow
def test_health_answers_within_a_second_while_heavy_requests_run(database_url, tmp_path):
    env = relief_env(database_url, tmp_path / "instance", RELIEF_SCHEDULER="off")
    run(env, "demo", timeout=600)
    token = run(env, "users", "create", "heavy-admin", "--role", "admin").strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    answers: list[tuple[str, int, float, float]] = []  # name, status, asked at, answered at
    with serving(env, timeout=60) as base:
        def call(name: str, method: str, path: str, **kwargs) -> requests.Response:
            started = time.monotonic()
            response = requests.request(method, f"{base}{path}", headers=headers, timeout=120, **kwargs)
            answers.append((name, response.status_code, started, time.monotonic()))
            return response

        with HealthWatch(base) as health:
            time.sleep(0.3)
            call("page over the maximum", "GET", "/api/guarantees?limit=20000")
            call("every row as CSV", "GET", "/api/guarantees?format=csv")
            call("judged afresh, with counts", "GET", "/api/guarantees",
                 params={"limit": 2000, "with_summary": "village", "as_of": datetime.now(CST).isoformat()})
            call("pixel bomb", "POST", "/api/incidents", json=incident_body(photos=[huge_png_base64()]))
            call("oversized polygon", "POST", "/api/incidents", json=incident_body(
                geometry={"type": "Polygon", "coordinates": [ring(109.5, 30.3, 1.5, 20_000)]}, evacuate=True))
            made = call("prefecture-wide zone", "POST", "/api/incidents", json=incident_body(
                geometry={"type": "Polygon", "coordinates": [ring(109.5, 30.3, 1.5, 9_000)]}, evacuate=True))
            call("verify it", "POST", f"/api/incidents/{made.json()['id']}/transitions",
                 json={"client_id": str(uuid.uuid4()), "action": "verify", "reason": "seen from the air"})
            call("displacement", "GET", "/api/displacement")
            call("assignment proposal", "POST", "/api/assignments/proposals", json={})
            time.sleep(0.3)
    assert {name: status for name, status, _, _ in answers} == {
        "page over the maximum": 400, "every row as CSV": 200, "judged afresh, with counts": 200, "pixel bomb": 413,
        "oversized polygon": 413, "prefecture-wide zone": 201, "verify it": 201, "displacement": 200,
        "assignment proposal": 200}, answers
    assert health.failures == [] and len(health.timeline) > 10
    waits = [(round(took, 2), [name for name, _, start, end in answers if start < began + took and end > began])
             for began, took in health.timeline if took > 0.3]
    assert health.slowest < 1.0, f"/api/health waited {health.slowest:.2f} s; waits over 0.3 s, during: {waits}"
