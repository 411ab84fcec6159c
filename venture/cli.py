"""Command-line tools: ``flask --app venture <group> <command>``."""
from __future__ import annotations

import sys

import click
from alembic import command
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from venture.extensions import db
from venture.migrate import alembic_config

db_cli = AppGroup("db", help="Database migrations (Alembic).")
admin_cli = AppGroup("admin", help="Site administration.")
mail_cli = AppGroup("mail", help="The e-mail outbox.")
audit_cli = AppGroup("audit", help="The audit log.")
calls_cli = AppGroup("calls", help="Calls and their phases.")


@calls_cli.command("tick")
def calls_tick() -> None:
    """Record phase moves the clock has made (open calls past their closing
    time become closed), sweep expired stashed drafts and remind funded
    projects of their reports. Run every minute."""
    from venture.calls.services import close_due_calls
    from venture.projects.reminders import send_reminders
    from venture.proposals.services import sweep_stashes

    closed = close_due_calls(db.session)
    swept = sweep_stashes(db.session)
    from flask import current_app

    # Mail and its links are rendered as in a request to the site's own address.
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        reminded = send_reminders(db.session)
    db.session.commit()
    click.echo(f"closed {closed} calls, swept {swept} stashed drafts, {reminded} report reminders")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    command.upgrade(alembic_config(db.engine), revision)


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION ('base' for an empty database)."""
    command.downgrade(alembic_config(db.engine), revision)


@db_cli.command("current")
def db_current() -> None:
    command.current(alembic_config(db.engine), verbose=True)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (review it before committing)."""
    command.revision(alembic_config(db.engine), message=message, autogenerate=True)


@db_cli.command("check")
def db_check() -> None:
    """Fail if the models and the migrated database differ."""
    command.check(alembic_config(db.engine))


@admin_cli.command("create")
@click.argument("email")
@click.option("--name", default="Site admin", show_default=True)
@click.option("--password", envvar="VENTURE_ADMIN_PASSWORD", default=None,
              help="Read from VENTURE_ADMIN_PASSWORD, or asked for.")
def admin_create(email: str, name: str, password: str | None) -> None:
    """Create the first site admin (or make an existing account one)."""
    from venture.accounts import services
    from venture.core.errors import DomainError

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_admin(db.session, email, name, password)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"{user.email} is a site admin.")


@admin_cli.command("reset-2fa")
@click.argument("email")
def admin_reset_2fa(email: str) -> None:
    """Switch off two-factor sign-in for someone who lost their phone and their
    recovery codes (check who is asking first). They are told by e-mail."""
    from venture.accounts import services, twofactor

    user = services.find_by_email(db.session, email)
    if user is None or not twofactor.is_enabled(user):
        raise click.ClickException("No account with that address has two-factor sign-in on.")
    twofactor.reset(db.session, user)
    db.session.commit()
    click.echo("Two-factor sign-in is off for that account; the owner was told by e-mail.")


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing (but print the logins) if there are users.")
def demo(if_empty: bool) -> None:
    """Load realistic demo data and print the demo logins."""
    from flask import current_app

    from venture import demo as demo_data

    # Mail and links are rendered as in a request to the site's own address.
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        loaded = demo_data.load(db.session, only_if_empty=if_empty)
        db.session.commit()
    if not loaded:
        click.echo("The database already has data; demo data not loaded.")
    demo_data.print_logins(click.echo)


@mail_cli.command("send")
@click.option("--limit", default=100, show_default=True)
def mail_send(limit: int) -> None:
    """Deliver queued e-mail that is due (run it from cron or a timer)."""
    from venture.mail.services import deliver_pending

    sent, failed = deliver_pending(db.session, limit=limit)
    click.echo(f"sent {sent}, failed {failed}")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the whole hash chain; name the first broken entry."""
    from venture.audit.services import verify

    result = verify(db.session)
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} entries, head {result.head}")
    else:
        click.echo(f"audit chain BROKEN at entry {result.first_broken}: {result.reason} "
                   f"({result.checked} entries before it are intact)", err=True)
        sys.exit(1)
    from venture.audit.records import verify_records

    records = verify_records(db.session)
    if records.ok:
        click.echo(f"stored records match the chain: {records.checked} rows checked")
        return
    click.echo(f"stored record MISMATCH in {records.table} row {records.row_id}: {records.what} "
               f"({records.checked} rows before it match)", err=True)
    sys.exit(1)


def init_app(app: Flask) -> None:
    from venture.backup import backup_cli
    from venture.bench.cli import bench_cli
    from venture.panels.cli import panels_cli
    from venture.search.cli import search_cli

    for group in (db_cli, admin_cli, mail_cli, audit_cli, calls_cli, bench_cli, search_cli, backup_cli,
                  panels_cli):
        app.cli.add_command(group)
    app.cli.add_command(demo)
