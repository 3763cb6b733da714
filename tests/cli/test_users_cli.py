"""``relief users tokens | revoke-token | deactivate | activate | password``."""
from __future__ import annotations

import re

import pytest

from relief.services import accounts


def created(cli_runner, name: str, role: str = "viewer") -> str:
    result = cli_runner("users", "create", name, "--role", role)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def works(app, token: str) -> bool:
    return app.test_client().get("/api/audit?limit=1", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def token_rows(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.strip().splitlines()[1:]]


def test_tokens_lists_ids_and_times_never_the_secret(cli_runner, app):
    token = created(cli_runner, "li.wei")
    second = cli_runner("users", "token", "li.wei", "--label", "tablet").output.strip()
    assert works(app, token)
    result = cli_runner("users", "tokens", "li.wei")
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "id\tcreated_at\tlast_used_at\trevoked_at\tlabel"
    rows = token_rows(result.output)
    assert [r[4] for r in rows] == ["created with the user", "tablet"]
    assert re.match(r"\d{4}-\d\d-\d\dT", rows[0][2]) and rows[1][2] == "-"  # only the first was used
    assert token not in result.output and second not in result.output


def test_revoke_one_token_by_id(cli_runner, app):
    token = created(cli_runner, "li.wei")
    second = cli_runner("users", "token", "li.wei").output.strip()
    assert works(app, token) and works(app, second)
    first_id = token_rows(cli_runner("users", "tokens", "li.wei").output)[0][0]
    result = cli_runner("users", "revoke-token", "--token-id", first_id)
    assert result.exit_code == 0 and f"token {first_id} revoked" in result.output
    assert not works(app, token) and works(app, second)


def test_revoke_every_token_of_a_user(cli_runner, app):
    token = created(cli_runner, "li.wei")
    other = created(cli_runner, "zhang.min")
    result = cli_runner("users", "revoke-token", "li.wei")
    assert result.exit_code == 0 and "1 token(s) of li.wei revoked" in result.output
    assert not works(app, token) and works(app, other)
    assert token_rows(cli_runner("users", "tokens", "li.wei").output)[0][3] != "-"


@pytest.mark.parametrize("args", [(), ("li.wei", "--token-id", "1")])
def test_revoke_needs_a_name_or_a_token_id(cli_runner, args):
    created(cli_runner, "li.wei")
    result = cli_runner("users", "revoke-token", *args)
    assert result.exit_code == 2 and "either NAME" in result.output


def test_deactivate_and_activate(cli_runner, app):
    token = created(cli_runner, "li.wei")
    assert works(app, token)
    assert cli_runner("users", "deactivate", "li.wei").exit_code == 0
    assert not works(app, token)
    assert "li.wei\tviewer\tinactive" in cli_runner("users", "list").output
    assert cli_runner("users", "activate", "li.wei").exit_code == 0
    assert works(app, token)


@pytest.mark.parametrize("command", [("deactivate", "nobody"), ("activate", "nobody"), ("tokens", "nobody"),
                                     ("revoke-token", "nobody"), ("revoke-token", "--token-id", "424242")])
def test_unknown_users_and_tokens_are_refused(cli_runner, command):
    result = cli_runner("users", *command)
    assert result.exit_code == 1 and ("nobody" in result.output or "424242" in result.output)


def test_password_change_ends_sessions(cli_runner, ctx):
    cli_runner("users", "create", "li.wei", "--role", "viewer", "--password", "old-password")
    logged_in = accounts.login(ctx, "li.wei", "old-password")
    result = cli_runner("users", "password", "li.wei", input="new-password\nnew-password\n")
    assert result.exit_code == 0, result.output
    assert accounts.actor_for_session(ctx, logged_in.actor.id, logged_in.key) is None
    assert accounts.login(ctx, "li.wei", "new-password").actor.name == "li.wei"
    short = cli_runner("users", "password", "li.wei", "--password", "short")
    assert short.exit_code == 1 and "8-256" in short.output
