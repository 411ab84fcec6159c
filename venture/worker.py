"""Background work outside the web processes: ``flask --app venture worker``.

The durable queues are the outbox tables, written in the same transaction
as the change that causes them (``outbox_mails``, ``search_queue``): a piece
of work exists exactly when its change does. A worker claims mail with a
conditional update (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several
workers never send one message twice, and a failed send is retried with
back-off (:mod:`venture.mail.services`). APScheduler runs the jobs on their
intervals, one run of a job at a time per worker, and catches up after a
pause without piling runs up. The clock tick runs on one worker at a time
across servers (a PostgreSQL advisory lock). Web requests keep delivering
right after their commit unless ``BACKGROUND_WORK=worker``: with no worker
running, a single machine works as before.
"""
from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select, text

from venture.extensions import db

worker_cli = AppGroup("worker", help="Background work: mail, search updates, the clock tick.")

TICK_LOCK = 719_001  # the advisory lock key of the clock tick


def deliver_mail(app: Flask) -> int:
    from venture.mail.services import deliver_pending

    with app.app_context():
        sent, _failed = deliver_pending(db.session)
        return sent


def update_search(app: Flask) -> int:
    from venture.search import services

    return services.drain(app).rows


def tick(app: Flask) -> bool:
    """The clock tick (``calls tick``) when no other worker is running it."""
    from venture.audit import checkpoints
    from venture.calls.services import close_due_calls
    from venture.projects.reminders import send_reminders
    from venture.proposals.services import sweep_stashes

    with app.app_context():
        session = db.session
        if session.get_bind().dialect.name == "postgresql":
            if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": TICK_LOCK}):
                session.rollback()
                return False
        close_due_calls(session)
        sweep_stashes(session)
        with app.test_request_context(base_url=app.config["BASE_URL"]):
            send_reminders(session)
        checkpoints.make_daily(session, hours=app.config["AUDIT_CHECKPOINT_HOURS"])
        session.commit()  # also releases the advisory lock
        return True


JOBS: dict[str, tuple[Callable[[Flask], Any], str]] = {
    "mail": (deliver_mail, "WORKER_MAIL_SECONDS"),
    "search": (update_search, "WORKER_SEARCH_SECONDS"),
    "tick": (tick, "WORKER_TICK_SECONDS"),
}


def _guarded(app: Flask, name: str, job: Callable[[Flask], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            job(app)
        except Exception:  # noqa: BLE001 - the rows stay queued; the next run tries again
            app.logger.exception("worker: %s failed; its work stays queued", name)
    return run


def scheduler_for(app: Flask, blocking: bool = True) -> Any:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")
    for name, (job, setting) in JOBS.items():
        scheduler.add_job(_guarded(app, name, job), "interval", seconds=float(app.config.get(setting, 60)),
                          id=name, max_instances=1, coalesce=True, next_run_time=datetime.now().astimezone())
    return scheduler


@worker_cli.command("run")
def worker_run() -> None:
    """Run the background jobs until stopped (SIGTERM or Ctrl-C)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler = scheduler_for(app)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    click.echo("worker running: " + ", ".join(
        f"{name} every {app.config.get(setting, 60)} s" for name, (_job, setting) in JOBS.items()), err=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass


def status(session: Any) -> dict[str, dict[str, Any]]:
    from venture.mail.services import pending_counts
    from venture.search.models import SearchQueue

    return {
        "mail": pending_counts(session),
        "search": {
            "queued": session.scalar(select(func.count()).select_from(SearchQueue)) or 0,
            "failed": 0,
            "oldest": session.scalar(select(func.min(SearchQueue.queued_at))),
        },
    }


@worker_cli.command("status")
def worker_status() -> None:
    """Queued, failed and oldest queued work of each queue (exit 1 when mail failed)."""
    found = status(db.session)
    for name, row in found.items():
        oldest = row["oldest"].strftime("%Y-%m-%d %H:%M:%S UTC") if row["oldest"] else "-"
        click.echo(f"{name:<7} queued {row['queued']:>6}  failed {row['failed']:>6}  oldest {oldest}")
    if found["mail"]["failed"]:
        raise SystemExit(1)
