"""``relief export …``: files to hand to people outside the app (a click group; others add subcommands)."""
from __future__ import annotations

from pathlib import Path

import click

from relief.cli.app import cli_app, cli_context


@click.group(help="Export files: the situation map (others to come).")
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
