"""Command-line tools: ``flask --app venture <group> <command>``."""
from __future__ import annotations

import json
import sys
from typing import Any

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
storage_cli = AppGroup("storage", help="Where uploaded files are stored.")


@storage_cli.command("copy")
@click.option("--from", "source", type=click.Choice(["local", "s3"]), required=True)
@click.option("--to", "target", type=click.Choice(["local", "s3"]), required=True)
def storage_copy(source: str, target: str) -> None:
    """Copy every uploaded file between the local folder and the object store
    (the settings of both come from the configuration); copying again is harmless."""
    from flask import current_app

    from venture.proposals import storage

    if source == target:
        raise click.UsageError("--from and --to name the same store")
    config = dict(current_app.config)
    stores = {name: storage.store_from_config({**config, "STORAGE_BACKEND": name}) for name in (source, target)}
    count = storage.copy(stores[source], stores[target])
    click.echo(f"copied {count} files from {source} to {target}")


@calls_cli.command("tick")
def calls_tick() -> None:
    """Record phase moves the clock has made (open calls past their closing
    time become closed), sweep expired stashed drafts, remind funded projects
    of their reports, and sign a checkpoint of the audit chain when the newest
    is a day old. Run every minute."""
    from flask import current_app

    from venture.audit import checkpoints
    from venture.calls.services import close_due_calls
    from venture.projects.reminders import send_reminders
    from venture.proposals.services import sweep_stashes

    closed = close_due_calls(db.session)
    swept = sweep_stashes(db.session)
    # Mail and its links are rendered as in a request to the site's own address.
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        reminded = send_reminders(db.session)
    daily = checkpoints.make_daily(db.session, hours=current_app.config["AUDIT_CHECKPOINT_HOURS"])
    db.session.commit()
    click.echo(f"closed {closed} calls, swept {swept} stashed drafts, {reminded} report reminders"
               + (f", signed a checkpoint of entry {daily.sequence}" if daily is not None else ""))


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


@admin_cli.command("check-files")
def admin_check_files() -> None:
    """Try the cleaner on every attachment stored before uploads were cleaned
    (such files are cleaned each time they are served). Lists those it cannot
    clean: nobody can download them, so ask their groups to upload them again."""
    from sqlalchemy import select

    from venture.proposals import cleaning, files, storage
    from venture.proposals.models import Attachment

    older = db.session.scalars(select(Attachment).where(Attachment.cleaner_version < cleaning.CLEANER_VERSION)
                               .order_by(Attachment.id))
    checked, refused = 0, []
    for attachment in older:
        checked += 1
        try:
            storage.read_cleaned(attachment.stored_name, attachment.kind, attachment.cleaner_version)
        except (OSError, files.UploadRejected):
            refused.append(attachment)
    click.echo(f"{checked} files stored before cleaning checked; {len(refused)} cannot be served")
    for attachment in refused:
        click.echo(f"  attachment {attachment.id} of proposal {attachment.proposal_id}: {attachment.filename}")
    if refused:
        sys.exit(1)


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
@click.option("--checkpoints", "saved", type=click.File("r", encoding="utf-8"), default=None,
              help="A copy of /api/v1/checkpoints kept elsewhere: check that the chain still extends each of them.")
@click.option("--public-key", default=None,
              help="The site's public key (base64) to check signatures with, instead of the key file's.")
def audit_verify(saved: Any, public_key: str | None) -> None:
    """Check the hash chain, the signed checkpoints, and every stored row and
    file the chain vouches for (including each call's published rules); name
    everything that does not hold."""
    from venture.audit import checkpoints, signing
    from venture.audit.records import verify_records
    from venture.audit.services import verify

    failed = False
    result = verify(db.session)
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} entries, head {result.head}")
    else:
        failed = True
        click.echo(f"audit chain BROKEN at entry {result.first_broken}: {result.reason} "
                   f"({result.checked} entries before it are intact)", err=True)

    try:
        key = (signing.public_key_from_b64(public_key) if public_key
               else signing.signing_key().public_key())
        copy = json.load(saved) if saved is not None else None
    except (ValueError, signing.SigningKeyMissing) as error:
        raise click.ClickException(f"cannot check the checkpoints: {error}") from None
    marks = checkpoints.verify(db.session, key, copy)
    if marks.ok:
        kept = f", {marks.saved_checked} in the saved copy" if copy is not None else ""
        click.echo(f"checkpoints hold: {marks.checked} signed checkpoints{kept}, "
                   f"public key {signing.public_key_b64_of(key)}")
    else:
        failed = True
        for problem in marks.problems:
            click.echo(f"checkpoint PROBLEM: {problem}", err=True)

    if result.ok:  # the rows are compared with events worth trusting only once the chain holds
        records = verify_records(db.session)
        for note in records.notes:
            click.echo(f"note: {note}")
        if records.ok:
            click.echo(f"stored records match the chain: {records.checked} rows and files checked")
        else:
            failed = True
            for problem in records.problems[:200]:
                click.echo(f"stored record {problem}", err=True)
            if len(records.problems) > 200:
                click.echo(f"… and {len(records.problems) - 200} more", err=True)
            click.echo(f"{len(records.problems)} stored records do not match the chain "
                       f"({records.checked} rows and files checked)", err=True)
    if failed:
        sys.exit(1)


@audit_cli.command("checkpoint")
@click.option("--reason", default="daily", show_default=True)
def audit_checkpoint(reason: str) -> None:
    """Sign a checkpoint of the chain's head now (run daily; `calls tick` also makes one a day)."""
    from venture.audit import checkpoints

    made = checkpoints.make(db.session, reason)
    db.session.commit()
    if made is None:
        click.echo("the audit chain is empty: nothing to checkpoint")
    else:
        click.echo(f"checkpoint of entry {made.sequence}: {made.head} at {checkpoints.time_text(made.made_at)}")


@audit_cli.command("public-key")
def audit_public_key() -> None:
    """Print the public key that checks the checkpoints (base64 of the raw 32 bytes, then PEM)."""
    from venture.audit import signing

    click.echo(signing.public_key_b64())
    click.echo(signing.public_key_pem(), nl=False)


def init_app(app: Flask) -> None:
    from venture.backup import backup_cli
    from venture.bench.cli import bench_cli
    from venture.panels.cli import panels_cli
    from venture.search.cli import search_cli
    from venture.worker import worker_cli

    for group in (db_cli, admin_cli, mail_cli, audit_cli, calls_cli, bench_cli, search_cli, backup_cli,
                  panels_cli, worker_cli, storage_cli):
        app.cli.add_command(group)
    app.cli.add_command(demo)
