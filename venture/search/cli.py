"""``flask --app venture search rebuild|sync``."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

search_cli = AppGroup("search", help="The full-text search index.")


@search_cli.command("rebuild")
def search_rebuild() -> None:
    """Rebuild the whole index from the database and empty the queue."""
    from venture.extensions import db
    from venture.search import services
    from venture.search.index import LockError

    def progress(keys: list[tuple[str, int]]) -> object:
        return click.progressbar(keys, label="Indexing", show_pos=True, file=sys.stderr)

    try:
        count = services.rebuild(db.session, progress=progress)  # type: ignore[arg-type]
    except LockError:
        raise click.ClickException("another process is writing the index; try again in a moment") from None
    click.echo(f"indexed {count} public documents")


@search_cli.command("sync")
def search_sync() -> None:
    """Index what the queue names (run it every minute as a safety net)."""
    from flask import current_app

    from venture.search import services

    result = services.drain(current_app._get_current_object())  # type: ignore[attr-defined]
    if result.locked:
        click.echo("another process is writing the index; the rest stays queued", err=True)
    click.echo(f"processed {result.rows} queued changes: {result.indexed} indexed, {result.deleted} removed")
