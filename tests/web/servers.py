"""Real ``relief`` processes for end-to-end tests: CLI runs and ``relief serve`` on a free port.

Used as context managers inside fixtures, so a server is stopped even when a
test fails.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests

RELIEF = shutil.which("relief") or str(Path(sys.executable).with_name("relief"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def relief_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIEF_")}
    env.update(RELIEF_DATABASE_URL=database_url, RELIEF_INSTANCE_PATH=str(instance),
               RELIEF_SECRET_KEY="end-to-end-secret", RELIEF_DEFAULT_LOCALE="en", **extra)
    return env


def fresh_database_url(folder: Path, name: str) -> str:
    """A database of its own for a module's server: a fresh PostgreSQL database in the PostgreSQL run, else a file."""
    pg = os.environ.get("RELIEF_TEST_DATABASE_URL")
    if not pg:
        return f"sqlite:///{folder / 'relief.db'}"
    from tests.conftest import _pg_database

    return _pg_database(pg, f"relief_{name}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")


def run(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run ``relief ARGS`` and return its output; fail with the output when it fails."""
    done = subprocess.run([RELIEF, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"relief {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def serving(env: dict[str, str], *, port: int | None = None, timeout: float = 30) -> Iterator[str]:
    """``relief serve`` on a free port; yields its base URL once /api/health answers."""
    port = port or free_port()
    log = Path(env["RELIEF_INSTANCE_PATH"]) / f"serve-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        process = subprocess.Popen([RELIEF, "serve", "--port", str(port)], env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"relief serve exited early:\n{log.read_text()}")
            try:
                if requests.get(f"{base}/api/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"relief serve did not answer within {timeout} s:\n{log.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def demo_serving(folder: Path, name: str, *, households: int) -> Iterator[str]:
    """``relief demo`` with ``households`` into a fresh database under ``folder``, then :func:`serving` it."""
    env = relief_env(fresh_database_url(folder, name), folder / "instance")
    run(env, "demo", "--households", str(households))
    with serving(env) as base:
        yield base


def incident_body(client_id: str, **overrides) -> dict:
    body = {"client_id": client_id, "kind": "landslide", "title": "Slope moving above the road", "lat": 30.31,
            "lon": 109.52, "occurred_at": "2026-11-20T09:00:00+08:00", "description": "cracks widening"}
    body.update(overrides)
    return body
