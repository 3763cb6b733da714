"""The relief command line: help, init-db, users, demo."""
from __future__ import annotations

import pytest

from relief.domain.roles import ROLES
from relief.store.migrate import shipped_head


def test_help_lists_the_commands(cli_runner):
    result = cli_runner("--help")
    assert result.exit_code == 0
    for command in ("serve", "init-db", "demo", "users"):
        assert command in result.output


def test_init_db_reports_the_revision(cli_runner):
    result = cli_runner("init-db")
    assert result.exit_code == 0 and f"revision {shipped_head()}" in result.output


def test_users_create_prints_a_working_token(cli_runner, app):
    result = cli_runner("users", "create", "li.wei", "--role", "commander")
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    response = app.test_client().get("/api/audit?limit=5", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    again = cli_runner("users", "create", "li.wei", "--role", "commander")
    assert again.exit_code != 0 and "already exists" in again.output


def test_users_create_refuses_unknown_role(cli_runner):
    result = cli_runner("users", "create", "x", "--role", "wizard")
    assert result.exit_code != 0 and "wizard" in result.output


def test_demo_prints_progress_and_accounts(cli_runner):
    result = cli_runner("demo", "--households", "500", "--seed", "3", "--as-of", "2026-12-01T06:30:00Z")
    assert result.exit_code == 0, result.output
    assert "households" in result.output and "500" in result.output
    assert "as of 2026-12-01T14:30:00+08:00" in result.output and "statutory_reports" in result.output
    for role in ROLES:
        assert f"{role}-demo" in result.output
    again = cli_runner("demo", "--households", "500", "--seed", "3")
    assert "already present" in again.output


@pytest.mark.parametrize("value, why", [("yesterday", "ISO 8601"), ("2026-12-01T14:30:00", "UTC offset")])
def test_demo_refuses_a_moment_it_cannot_place(cli_runner, value, why):
    result = cli_runner("demo", "--households", "50", "--as-of", value)
    assert result.exit_code == 2
    assert "--as-of" in result.output and why in result.output
    assert "generating" not in result.output


def test_the_command_table_keeps_each_commands_own_help():
    import click

    from relief.cli import COMMANDS, cli

    for name, entry in COMMANDS.items():
        real = cli.get_command(None, name)
        listed = click.Command(name, help=entry.help)
        for limit in (30, 45, 80, 400):
            assert listed.get_short_help_str(limit) == real.get_short_help_str(limit), name


def _modules_after(args: list[str], env: dict[str, str] | None = None) -> tuple[str, set[str]]:
    """``relief ARGS`` in a fresh interpreter: what it printed, and which modules it had imported."""
    import os
    import subprocess
    import sys

    script = ("import sys\n"
              "from relief.cli import cli\n"
              f"cli.main({args!r}, prog_name='relief', standalone_mode=False)\n"
              "print('\\x00' + ' '.join(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**os.environ, **(env or {})})
    printed, _, modules = done.stdout.rpartition("\x00")
    return printed, set(modules.split())


def test_help_imports_no_command_module():
    printed, modules = _modules_after(["--help"])
    assert "reconstruction" in printed and "assistance" in printed
    assert not {m for m in modules if m.startswith("relief.cli.")}
    assert not {"pandas", "sqlalchemy", "flask"} & modules


#: What a command that only reads the store never needs: the web app, Socket.IO, gevent, migrations, maps.
WEB_AND_MAPS = {"flask", "flask_socketio", "gevent", "alembic", "geopandas", "pyproj", "relief.web", "relief.live"}


@pytest.mark.parametrize("args, without", [
    # the house listing is written from plain columns: not even pandas is loaded
    (["reconstruction", "--as-of", "2026-11-20T10:00:00+08:00"], WEB_AND_MAPS | {"pandas"}),
    (["assistance", "propose", "--programme", "transitional", "--as-of", "2026-11-20T10:00:00+08:00"], WEB_AND_MAPS),
])
def test_read_only_commands_build_no_web_app(database_url, tmp_path, args, without):
    url = database_url if "://" in database_url else f"sqlite:///{database_url}"
    printed, modules = _modules_after(args, {"RELIEF_DATABASE_URL": url,
                                             "RELIEF_INSTANCE_PATH": str(tmp_path / "instance")})
    assert printed.startswith(("house_id,", "household_id,")), printed
    assert not without & modules
