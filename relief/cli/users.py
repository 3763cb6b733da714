"""``relief users …``: create users and tokens, list them, revoke tokens, (de)activate users.

Revoking or deactivating here reaches running servers within their token
cache's lifetime (``accounts.TOKEN_CACHE_SECONDS``); sessions end at once.
"""
from __future__ import annotations

import click

from relief.cli.app import cli_app, cli_context
from relief.domain.roles import ROLES
from relief.errors import ReliefError
from relief.services import accounts


@click.group(help="Manage users and API tokens.")
def users() -> None:
    pass


@users.command("create", help="Create a user; prints an API token for Authorization: Bearer.")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password", default=None, help="Also allow browser log-in with this password.")
def create(name: str, role: str, password: str | None) -> None:
    try:
        user = accounts.create_user(cli_context(cli_app()), name, role, password=password)
    except ReliefError as error:
        raise click.ClickException(error.message) from error
    click.echo(user.token)


@users.command("token", help="Issue another API token for an existing user.")
@click.argument("name")
@click.option("--label", default=None)
def token(name: str, label: str | None) -> None:
    try:
        click.echo(accounts.issue_token(cli_context(cli_app()), name, label))
    except ReliefError as error:
        raise click.ClickException(error.message) from error


@users.command("list", help="List users and roles.")
def list_() -> None:
    for user in accounts.list_users(cli_context(cli_app())):
        click.echo(f"{user['name']}\t{user['role']}\t{'active' if user['active'] else 'inactive'}")


def _run(work):
    try:
        return work(cli_context(cli_app()))
    except ReliefError as error:
        raise click.ClickException(error.message) from error


@users.command("tokens", help="List a user's tokens: id, created, last used (to within minutes), revoked, label.")
@click.argument("name")
def tokens(name: str) -> None:
    click.echo("id\tcreated_at\tlast_used_at\trevoked_at\tlabel")
    for t in _run(lambda ctx: accounts.tokens_of(ctx, name)):
        click.echo("\t".join(str(t[k] or "-") for k in ("id", "created_at", "last_used_at", "revoked_at", "label")))


@users.command("revoke-token", help="Revoke all of NAME's tokens, or one token by --token-id.")
@click.argument("name", required=False)
@click.option("--token-id", type=int, default=None, help="Revoke only this token (ids: relief users tokens NAME).")
def revoke_token(name: str | None, token_id: int | None) -> None:
    if (name is None) == (token_id is None):
        raise click.UsageError("give either NAME (all of its tokens) or --token-id ID")
    if token_id is not None:
        token = _run(lambda ctx: accounts.revoke_token(ctx, token_id))
        click.echo(f"token {token['id']} revoked")
    else:
        revoked = _run(lambda ctx: accounts.revoke_tokens_of(ctx, name))
        click.echo(f"{len(revoked)} token(s) of {name} revoked"
                   + (f": {', '.join(map(str, revoked))}" if revoked else ""))


@users.command("deactivate", help="Stop a user: their sessions end and their tokens are refused.")
@click.argument("name")
def deactivate(name: str) -> None:
    _run(lambda ctx: accounts.set_active(ctx, name, False))
    click.echo(f"{name} deactivated")


@users.command("activate", help="Let a deactivated user log in and use their (unrevoked) tokens again.")
@click.argument("name")
def activate(name: str) -> None:
    _run(lambda ctx: accounts.set_active(ctx, name, True))
    click.echo(f"{name} activated")


@users.command("password", help="Set a user's password (asked for, not echoed); their sessions end.")
@click.argument("name")
@click.password_option("--password", help="The new password (8-256 characters); asked for when omitted.")
def password(name: str, password: str) -> None:
    _run(lambda ctx: accounts.set_password(ctx, name, password))
    click.echo(f"password of {name} changed; their sessions have ended")
