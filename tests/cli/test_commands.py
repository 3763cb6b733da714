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
