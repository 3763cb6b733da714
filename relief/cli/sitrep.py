"""``relief sitrep --as-of T [--out DIR] [--format html|pdf|json|edxl] [--issue] [--lang zh|en]``.

Builds the situation report at ``T`` (default now) and writes ``sitrep-<number>.<ext>`` into ``--out``
(printed to standard output without it, except the PDF, which needs a folder). ``--issue`` first stores
it with its number (the same ``T`` again gives the same number), so a scheduled job can run
``relief sitrep --issue --out /srv/sitreps --format pdf`` every morning. Files are written whole, then
renamed into place.
"""
from __future__ import annotations

import atexit
import gc
import json
import os
import sys
import tempfile
from pathlib import Path

import click

from relief.cli.app import cli_app, cli_context, parse_moment, read_only_context
from relief.errors import ReliefError
from relief.services import sitrep as service
from relief.services import sitrep_json

FORMATS = ("html", "pdf", "json", "edxl")
EXTENSIONS = {"html": "html", "pdf": "pdf", "json": "json", "edxl": "xml"}


def _quick_exit() -> None:
    """At exit, keep every object out of the interpreter's last collections: walking the hundreds of thousands
    a report process holds (the web app, pandas, WeasyPrint) took 1–2 s after the file was written. The file
    is closed and the store's connections returned before that; nothing left needs a collection."""
    atexit.unregister(gc.freeze)  # once, however often the command runs in one process
    atexit.register(gc.freeze)


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        target = folder / name
        os.replace(temporary, target)
        return target
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _render_app(settings):
    from relief.web import sitrep_pages

    return sitrep_pages.render_app(settings)


def build(app, snap, fmt: str, lang: str, standards) -> bytes:
    """The snapshot in one format, as bytes."""
    from relief.web import sitrep_pages

    if fmt == "json":
        return json.dumps(sitrep_json.answer(snap), ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    if fmt == "edxl":
        return sitrep_json.edxl(snap, standards.edxl_sitrep)
    html = sitrep_pages.render_locale(app, snap, lang)
    return html.encode("utf-8") if fmt == "html" else sitrep_pages.pdf_bytes(html)


@click.command("sitrep", help="Build (and with --issue, store and number) the situation report as of a moment.")
@click.option("--as-of", "as_of", default=None, metavar="TIMESTAMP", help="ISO 8601 with offset (default: now).")
@click.option("--out", "out", default=None, type=click.Path(file_okay=False), help="Folder to write the report in.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True)
@click.option("--issue", is_flag=True, help="Store the report with the next number (idempotent for one --as-of).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def sitrep_command(as_of: str | None, out: str | None, fmt: str, issue: bool, lang: str) -> None:
    _quick_exit()
    if issue:  # a write: the app's Context publishes the new report to the live maps
        app = cli_app()
        ctx = cli_context(app)
    else:
        ctx = read_only_context()
        app = _render_app(ctx.settings) if fmt in ("html", "pdf") else None
    try:
        moment = parse_moment(as_of, ctx)
        if issue:
            issued = service.issue(ctx, moment)
            snap = service.stored(ctx, issued["number"])
            click.echo(f"issued sitrep {issued['number']} as of {issued['as_of']}"
                       f"{'' if issued['created'] else ' (already issued)'}", err=True)
        else:
            snap = service.snapshot(ctx, moment)
    except ReliefError as error:
        raise click.ClickException(f"{error.field}: {error.message}" if getattr(error, "field", None)
                                   else error.message) from error
    if fmt == "pdf" and out is None:
        raise click.UsageError("--format pdf needs --out DIR")
    data = build(app, snap, fmt, lang, ctx.standards)
    ctx.store.dispose()
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target = _write(Path(out), f"sitrep-{snap['number']}.{EXTENSIONS[fmt]}", data)
    click.echo(str(target))
