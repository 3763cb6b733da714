"""``relief export …``: files to hand to people outside the app (a click group; others add subcommands).

``relief export WHAT --format geojson|csv|hxl|gpkg|xlsx --out FILE [--public]`` writes one table
(``services/exports.py``) through a temporary file beside ``FILE``, renamed into place only when
complete: a failed export leaves no file. ``--public`` writes the version anyone may have (no
households, personal data masked); ``--lang`` chooses the language of an xlsx header row.
"""
from __future__ import annotations

from pathlib import Path

import click

from relief.cli.app import cli_app, cli_context
from relief.domain.vocabulary import EXPORT_FORMATS, ExportFormat, ExportTable
from relief.errors import ReliefError


@click.group(help="Export files: the situation map, and every table as GeoJSON, CSV, HXL CSV, GeoPackage or xlsx.")
def export() -> None:
    pass


@export.command("map", help="Write the situation map as one self-contained HTML file that opens offline.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The HTML file to write.")
@click.option("--title", default="Enshi situation map", show_default=True)
def export_map(out: Path, title: str) -> None:
    from relief.services.situation import export_html

    html = export_html(cli_context(cli_app()), title=title)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    click.echo(f"wrote {out} ({len(html.encode('utf-8')) / 1e6:.1f} MB)")


def _table_command(what: ExportTable) -> None:
    @export.command(what.value, help=f"Write the {what.value} table as GeoJSON, CSV, HXL CSV, GeoPackage or xlsx.")
    @click.option("--format", "fmt", required=True, type=click.Choice(EXPORT_FORMATS),
                  help="geojson (RFC 7946), csv, hxl (CSV with an HXL hashtag row), gpkg (GeoPackage), xlsx.")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The file to write (replaced only once the export is complete).")
    @click.option("--public", is_flag=True, help="The public version: no households, personal data masked.")
    @click.option("--lang", default=None, help="Language of the xlsx header row (zh or en; default: the app's).")
    def command(fmt: str, out: Path, public: bool, lang: str | None) -> None:
        from relief.services import exports
        from relief.web.api_export import labels

        app = cli_app()
        ctx = cli_context(app)
        try:
            chosen = exports.plan(ctx, what, fmt, public=public)
            with app.test_request_context():
                header = labels(lang or app.config["BABEL_DEFAULT_LOCALE"]) if fmt == ExportFormat.XLSX else None
            counted = [0]
            exports.write_file(ctx, chosen, out, labels=header, tally=lambda n: counted.__setitem__(0, counted[0] + n))
        except ReliefError as error:
            raise click.ClickException(f"{error.field}: {error.message}" if error.field else error.message) \
                from error
        click.echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, {counted[0]} rows)")


for _what in ExportTable:
    _table_command(_what)
