"""Shared fixtures: a migrated database per test, the app, clients and factories.

Store-backed tests run on SQLite, or on PostgreSQL/PostGIS when
``RELIEF_TEST_DATABASE_URL`` is set (``.ci/run`` runs the suite both ways).
Domain tests use none of these.
"""
from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from relief.services.accounts import forget_cached_tokens
from relief.store.db import Store
from relief.store.migrate import upgrade

PG_URL = os.environ.get("RELIEF_TEST_DATABASE_URL")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(value: str | None, what: str, how: str) -> str:
    """Skip with a reason where a real service is absent; in CI its absence is a failure."""
    if value:
        return value
    message = f"{what} is not available: {how}"
    if IN_CI:
        pytest.fail(f"CI must provide it: {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL/PostGIS server for PostgreSQL-only tests, whatever store the suite runs on."""
    return require(os.environ.get("RELIEF_TEST_POSTGRES_URL") or PG_URL, "PostgreSQL/PostGIS",
                   "set RELIEF_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return require(os.environ.get("RELIEF_TEST_REDIS_URL"), "Redis",
                   "set RELIEF_TEST_REDIS_URL=redis://127.0.0.1:6379/0")


#: Headless Chromium as root on a machine with no outside network: no sandbox, no background fetches.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("RELIEF_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return require(path, "Chromium", "install Debian's chromium or set RELIEF_TEST_CHROMIUM to its path")


@pytest.fixture(scope="module")
def browser(chromium_path):
    """Headless Chromium, one per test module (each test opens its own context)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _pg_database(base_url: str, name: str) -> str:
    """Create a fresh database ``name`` on the server of ``base_url`` and return its URL."""
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A database migrated once per test run; each test gets a clean copy of it."""
    if PG_URL:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        url = _pg_database(PG_URL, f"relief_test_{worker}")
        store = Store(url)
        upgrade(store)
        store.dispose()
        yield url
        return
    path = tmp_path_factory.mktemp("template") / "relief.db"
    store = Store(f"sqlite:///{path}")
    upgrade(store)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.dispose()
    yield str(path)


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT IN ('alembic_version', 'spatial_ref_sys')"))]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(migrated_template, tmp_path):
    forget_cached_tokens()
    if PG_URL:
        yield migrated_template
        _truncate_all(migrated_template)
    else:
        path = tmp_path / "relief.db"
        shutil.copy(migrated_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def store(database_url):
    db = Store(database_url)
    yield db
    db.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    from relief import create_app

    application = create_app({
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "REDIS_URL": None,
    })
    yield application
    application.extensions["relief.store"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    from relief.cli.app import cli_context

    return cli_context(app)


@dataclass
class UserHandle:
    id: int
    name: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def actor(self):
        from relief.services.context import Actor

        return Actor(self.id, self.name, self.role)


@pytest.fixture
def make_user(ctx):
    """Factory: ``make_user("commander")`` → a user with a token (and password ``pw-<name>``)."""
    from relief.services.accounts import create_user

    def make(role: str, name: str | None = None) -> UserHandle:
        name = name or f"{role}-{uuid.uuid4().hex[:6]}"
        user = create_user(ctx, name, role, password=f"pw-{name}")
        return UserHandle(user.id, user.name, user.role, user.token)

    return make


@pytest.fixture
def cli_runner(database_url, tmp_path, monkeypatch):
    """Invoke ``relief …`` in-process against the test database."""
    from click.testing import CliRunner

    from relief.cli import cli

    monkeypatch.setenv("RELIEF_DATABASE_URL", database_url)
    monkeypatch.setenv("RELIEF_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    monkeypatch.delenv("RELIEF_REDIS_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str, **kwargs):
        return runner.invoke(cli, list(args), catch_exceptions=False, **kwargs)

    return invoke
