"""A non-editable install in a fresh virtualenv carries templates, static assets and data."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from relief.store.migrate import shipped_head

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_wheel_install_serves_static_assets(tmp_path):
    venv = tmp_path / "venv"
    # system site packages provide the dependencies; relief itself is built and installed as a wheel
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(ROOT)], check=True, cwd=tmp_path,
                   timeout=600)
    where = subprocess.run([str(python), "-c", "import relief, os; print(os.path.dirname(relief.__file__))"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout.strip()
    installed = Path(where)
    assert installed.is_relative_to(venv), f"relief imported from {installed}, not the venv"
    for part in ("static/vendor/leaflet/leaflet.js", "templates/map.html", "data/standards.json",
                 "data/enshi_admin.geojson", "store/migrations/versions/0001_initial.py"):
        assert (installed / part).is_file(), part

    port = free_port()
    env = {"RELIEF_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": str(venv / "bin") + ":/usr/bin:/bin"}
    demo = subprocess.run([str(venv / "bin" / "relief"), "demo", "--households", "300"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    server = subprocess.Popen([str(venv / "bin" / "relief"), "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vendor/leaflet/leaflet.js", timeout=5) as r:
                    body = r.read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(server.stdout.read().decode() if server.poll() is not None else "no answer")
                time.sleep(0.3)
        assert b"Leaflet" in body[:2000]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
            assert f'"schema_revision":"{shipped_head()}"'.encode() in r.read().replace(b" ", b"")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/areas?level=county", timeout=5) as r:
            assert json.load(r)["page"]["total"] == 8
    finally:
        server.terminate()
        server.wait(timeout=20)
