"""The ``relief`` command: serve, init-db, demo, users, import, export, guarantees.

Each command group lives in its own module and is registered in COMMANDS.
"""
from __future__ import annotations

import importlib
import sys

import click

COMMANDS = {
    "serve": "relief.cli.serve:serve",
    "init-db": "relief.cli.db:init_db",
    "demo": "relief.cli.demo:demo",
    "users": "relief.cli.users:users",
    "export": "relief.cli.export:export",
    "import": "relief.cli.importer:import_command",
    "guarantees": "relief.cli.guarantees:guarantees_command",
    "worker": "relief.cli.worker:worker",
    "reconstruction": "relief.cli.reconstruction:reconstruction_command",
    "sitrep": "relief.cli.sitrep:sitrep_command",
    "assistance": "relief.cli.assistance:assistance_group",
}


class LazyGroup(click.Group):
    """Imports a command's module only when it runs, so ``relief --help`` is quick."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, help="relief: disaster emergency-relief coordination on a live map.")
@click.version_option(package_name="relief")
def cli() -> None:
    pass


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        # Cooperative I/O for thousands of websockets; must precede every other import.
        from gevent import monkey

        monkey.patch_all()
    cli(prog_name="relief")
