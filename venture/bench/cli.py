"""``flask --app venture bench seed``: the benchmark data set."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from venture.extensions import db

bench_cli = AppGroup("bench", help="Benchmark data (see docs/PERFORMANCE.md).")


def _scale(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from venture.bench.seed import SCALES

    if value not in SCALES:  # "tiny" is accepted but not advertised: it is for tests
        raise click.BadParameter("choose city or small")
    return value


@bench_cli.command("seed")
@click.option("--scale", default="small", show_default=True, callback=_scale, metavar="city|small",
              help="city: 20,000 users, 20,000 proposals, 200,000 comments, about 60,000 reviews; "
                   "small: about a twentieth.")
@click.option("--seed", "seed_value", default=2026, show_default=True, help="Seed of the random generator.")
@click.option("--force", is_flag=True, help="Delete every row in the database first.")
def seed(scale: str, seed_value: int, force: bool) -> None:
    """Fill an empty, migrated database (DATABASE_URL) with a deterministic data set."""
    from venture.bench import seed as seeding

    if seeding.has_users(db.session) and not force:
        raise click.ClickException("the database already has users; refusing to seed "
                                   "(--force deletes every row first)")
    size = seeding.SCALES[scale]
    click.echo(f"Seeding the {scale} data set into {db.engine.url.render_as_string(hide_password=True)}")
    with click.progressbar(length=seeding.total_rows(size), label="rows", show_percent=True,
                           show_pos=True, width=30) as bar:
        summary = seeding.seed(db.session, scale, seed=seed_value, force=force, progress=bar.update,
                               echo=lambda _message: None)
    for table, count in summary.counts.items():
        click.echo(f"  {table:<20} {count:>9,}")
    for message in summary.skipped:
        click.echo(f"  {message}")
    click.echo(f"Seeded in {summary.seconds:.1f} s. Every account's password: {seeding.PASSWORD}")
