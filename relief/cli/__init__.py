"""The ``relief`` command: serve, init-db, demo, users, import, export, guarantees.

Each command group lives in its own module and is registered in COMMANDS, with the help ``relief --help``
lists for it, so that listing imports no command module.
"""
from __future__ import annotations

import importlib
import sys
from typing import NamedTuple

import click


class Entry(NamedTuple):
    #: ``module:attribute`` of the click command.
    target: str
    #: The first sentence of the command's help, as ``relief --help`` lists it (a test keeps the two equal).
    help: str


COMMANDS = {
    "serve": Entry("relief.cli.serve:serve",
                   "Serve the app and its live map (gevent; Redis message queue if RELIEF_REDIS_URL is set)."),
    "init-db": Entry("relief.cli.db:init_db", "Create or upgrade the database schema (Alembic migrations)."),
    "demo": Entry("relief.cli.demo:demo", "Build the Enshi prefecture demo (real boundaries, generated households, "
                                          "sites, stock, incidents)."),
    "users": Entry("relief.cli.users:users", "Manage users and API tokens."),
    "export": Entry("relief.cli.export:export", "Export files: the situation map, and every table as GeoJSON, CSV, "
                                                "HXL CSV, GeoPackage or xlsx."),
    "import": Entry("relief.cli.importer:import_command", "Import a folder of register files (households, sites, "
                    "facilities, items, distributions, medical_visits as .csv or .xlsx); all or nothing. "
                    "`relief import partner-aid FILE --agency NAME` imports a partner agency's aid list "
                    "(salted ID hashes)."),
    "aid-check": Entry("relief.cli.aid_check:aid_check",
                       "Sweep every household's aid chain for duplicate and missed aid as of a moment (default: "
                       "now), keep the flags, and print one row per flag (CSV or JSON)."),
    "guarantees": Entry("relief.cli.guarantees:guarantees_command",
                        "Print every household's five guarantees as of a moment (default: now)."),
    "worker": Entry("relief.cli.worker:worker", "Re-judge guarantee verdicts when food, water or a medical visit runs "
                    "out, and announce overdue statutory reports, every RELIEF_SCHEDULER_SECONDS (one process acts "
                    "at a time)."),
    "reconstruction": Entry("relief.cli.reconstruction:reconstruction_command",
                            "Print every house's stage, stall, subsidy entitled / paid / due as of a moment "
                            "(default: now)."),
    "sitrep": Entry("relief.cli.sitrep:sitrep_command",
                    "Build (and with --issue, store and number) the situation report as of a moment."),
    "assistance": Entry("relief.cli.assistance:assistance_group",
                        "Living assistance: propose cases, write payout batches, confirm payments."),
    "webhooks": Entry("relief.cli.webhooks:webhooks_command",
                      "Deliver signed webhooks to subscriptions from the event outbox, retrying with backoff "
                      "(several processes may run; a killed one loses nothing)."),
    "sms": Entry("relief.cli.sms:sms_command",
                 "Send SMS notifications to subscribed numbers from the event outbox through the gateway "
                 "(RELIEF_SMS_GATEWAY), within each number's daily quota."),
}


class LazyGroup(click.Group):
    """Imports a command's module only when it runs; ``relief --help`` lists the helps kept in COMMANDS."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        entry = COMMANDS.get(name)
        if entry is None:
            return None
        module, attr = entry.target.split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        listed = click.Group(commands=[click.Command(name, help=entry.help) for name, entry in COMMANDS.items()])
        listed.format_commands(ctx, formatter)


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
