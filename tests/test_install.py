"""A non-editable install in a fresh virtualenv carries templates, static assets and data."""
from __future__ import annotations

import json
import site
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from relief.store.migrate import shipped_head

ROOT = Path(__file__).resolve().parents[1]


def installed_package_dirs() -> list[str]:
    """Where this test run finds its installed packages: its environment's site-packages (and the user's)."""
    dirs = [*site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    return [d for d in dict.fromkeys(dirs) if Path(d).is_dir()]


def venv_seeing_these_packages(venv: Path) -> Path:
    """A fresh venv whose Python sees the packages this run sees, whatever made this environment.

    ``--system-site-packages`` would not do: from inside a venv it exposes the
    base interpreter's packages, not the venv's. So the venv is made from the
    base interpreter and a ``.pth`` file adds this run's site directories
    (their own ``.pth`` files processed, as here) after the venv's own, where
    relief is installed. Nothing is downloaded for the dependencies. Build
    nothing with this venv's pip: its isolated build would see these
    directories too, and their setuptools before the one it asked for.
    """
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    own = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                         capture_output=True, text=True, check=True).stdout.strip()
    lines = [f"import site; site.addsitedir({d!r})" for d in installed_package_dirs()]
    (Path(own) / "relief-test-run-packages.pth").write_text("\n".join(lines) + "\n")
    return python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_wheel_install_serves_static_assets(tmp_path):
    venv = tmp_path / "venv"
    # this run's packages provide the dependencies; relief itself is built as a wheel and installed from it
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path / "dist"),
                    str(ROOT)], check=True, cwd=tmp_path, timeout=600)
    wheel = next((tmp_path / "dist").glob("relief-*.whl"))
    python = venv_seeing_these_packages(venv)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, cwd=tmp_path,
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
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vendor/leaflet/leaflet.js",
                                            timeout=5) as r:
                    body = r.read()
                break
            except OSError as error:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(server.stdout.read().decode() if server.poll() is not None
                                         else "no answer") from error
                time.sleep(0.3)
        assert b"Leaflet" in body[:2000]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
            assert f'"schema_revision":"{shipped_head()}"'.encode() in r.read().replace(b" ", b"")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/areas?level=county", timeout=5) as r:
            assert json.load(r)["page"]["total"] == 8
    finally:
        server.terminate()
        server.wait(timeout=20)
