"""``relief users create NAME --role ROLE``: prints the new user's API token."""
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
