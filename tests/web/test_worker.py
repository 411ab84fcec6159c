"""The worker: claimed mail is sent once however many workers run, the
clock tick runs on one worker at a time, and ``worker status`` shows the queues."""
from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from venture import worker
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.mail import services as mail
from venture.mail.models import OutboxMail
from venture.search.models import SearchQueue


def _queue_mails(app, count: int) -> None:
    with app.app_context():
        db.session.add_all(OutboxMail(recipient=f"person{n}@example.org", subject=f"Message {n}",
                                      body_text="Hello\n") for n in range(count))
        db.session.commit()


def _sent_files(app) -> list[Path]:
    return sorted(Path(app.config["MAIL_OUTBOX_FOLDER"]).glob("*.eml"))


def test_a_claimed_message_is_not_claimed_again(app):
    _queue_mails(app, 3)
    with app.app_context():
        first = mail.claim(db.session)
        assert len(first) == 3
        assert mail.claim(db.session) == []
        assert mail.deliver_pending(db.session) == (0, 0)


def test_a_claim_whose_worker_died_is_tried_again_after_the_lease(app):
    _queue_mails(app, 1)
    with app.app_context():
        [ident] = mail.claim(db.session)
        row = db.session.get(OutboxMail, ident)
        row.next_attempt_at = utcnow() - timedelta(seconds=1)  # the lease has passed
        db.session.commit()
        assert mail.deliver_pending(db.session) == (1, 0)
        assert db.session.get(OutboxMail, ident).attempts == 2
    assert len(_sent_files(app)) == 1


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_workers_never_send_one_mail_twice(app):
    _queue_mails(app, 60)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                start.wait()
                while mail.deliver_pending(db.session, limit=5)[0]:
                    pass
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    files = _sent_files(app)
    assert len(files) == 60
    recipients = sorted(f.read_text().split("To: ")[1].split("\n")[0] for f in files)
    assert recipients == sorted(f"person{n}@example.org" for n in range(60))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)
                                 .where(OutboxMail.sent_at.is_(None))) == 0
        assert set(db.session.scalars(select(OutboxMail.attempts))) == {1}


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_tick_runs_on_one_worker_at_a_time(app):
    with app.app_context():
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_advisory_lock(:key)"), {"key": worker.TICK_LOCK})
            assert worker.tick(app) is False
            other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": worker.TICK_LOCK})
            other.commit()
    assert worker.tick(app) is True


def test_status_shows_queued_failed_and_oldest(app):
    _queue_mails(app, 2)
    with app.app_context():
        broken = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).first()
        broken.failed_at = utcnow()
        db.session.add(SearchQueue(kind="call", object_id=1))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "status"])
    assert result.exit_code == 1  # failed mail wants an operator
    assert "mail    queued      1  failed      1  oldest 20" in result.output
    assert "search  queued      1  failed      0  oldest 20" in result.output


def test_worker_jobs_deliver_the_mail_and_drain_the_search_queue(app):
    _queue_mails(app, 2)
    assert worker.deliver_mail(app) == 2
    assert len(_sent_files(app)) == 2
    with app.app_context():
        db.session.add(SearchQueue(kind="call", object_id=12345))
        db.session.commit()
    assert worker.update_search(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SearchQueue)) == 0


def test_the_scheduler_runs_every_job(app):
    scheduler = worker.scheduler_for(app, blocking=False)
    assert {job.id for job in scheduler.get_jobs()} == {"mail", "search", "tick"}
    assert all(job.max_instances == 1 and job.coalesce for job in scheduler.get_jobs())


def _register(client) -> None:
    client.submit("/register", {"display_name": "Xiao Ming", "email": "new@example.org",
                                "password": "correct horse battery staple 7", "password_again":
                                "correct horse battery staple 7"})


@pytest.mark.parametrize("app_config", [{"BACKGROUND_WORK": "worker"}])
def test_with_a_worker_requests_only_queue_the_mail(app, client):
    _register(client)
    with app.app_context():
        [row] = db.session.scalars(select(OutboxMail)).all()
        assert row.sent_at is None
    assert _sent_files(app) == []
    assert worker.deliver_mail(app) == 1
    assert len(_sent_files(app)) == 1


def test_without_a_worker_the_request_delivers_its_mail(app, client):
    _register(client)
    assert len(_sent_files(app)) == 1
