"""Two organizers changing a call's phase at the same moment: one succeeds,
the other is told plainly that it is done, and nothing happens twice. Two
requests in threads, each on its own database connection, both past loading
the call before either may go on (on SQLite the second cannot even start
before the first commits: its writing transaction waits for the lock)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from tests.conftest import Client, login
from tests.results_builders import make_results_world, review_table
from venture.audit.models import AuditEvent
from venture.audit.records import verify_records
from venture.audit.services import verify
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.results.models import ResultRecord, ResultStage

EN = {"Accept-Language": "en"}


def _hold_until_both_arrive(monkeypatch: Any, module: Any, name: str, app: Any) -> None:
    """Both requests have loaded the call (as it was) before either reaches ``name``."""
    barrier = threading.Barrier(2)
    real = getattr(module, name)
    wait = 5 if db_is_postgresql(app) else 1

    def held(*args: Any, **kwargs: Any) -> Any:
        try:
            barrier.wait(timeout=wait)
        except threading.BrokenBarrierError:  # SQLite: the other one is queued behind our write lock
            pass
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, held)


def db_is_postgresql(app: Any) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def _both(app: Any, send: Callable[[Client], Any]) -> tuple[list[Any], list[Client]]:
    clients = []
    for _ in range(2):
        client = Client(app, app.response_class, use_cookies=True)
        login(client, "organizer@example.org")
        client.csrf_token()
        clients.append(client)
    answers: list[Any] = [None, None]

    def run(index: int) -> None:
        answers[index] = send(clients[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers, clients


def _count(app: Any, action: str, **data: Any) -> int:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        return sum(1 for e in events if all(e.data.get(k) == v for k, v in data.items()))


def _intact(app: Any) -> None:
    with app.app_context():
        assert verify(db.session).ok
        assert verify_records(db.session).ok, verify_records(db.session)


def test_opening_the_notice_twice_at_once(app, monkeypatch):
    from venture.results import services as results

    world = make_results_world(app)
    review_table(app, world)
    _hold_until_both_arrive(monkeypatch, results, "open_notice", app)
    answers, _ = _both(app, lambda c: c.submit(f"/calls/{world.call}/deliberation/open-notice", {}, headers=EN))
    assert sorted(a.status_code for a in answers) == [302, 422], [a.status_code for a in answers]
    refused = next(a for a in answers if a.status_code == 422).get_data(as_text=True)
    assert "The public notice is already open: someone opened it a moment ago." in refused
    with app.app_context():
        assert db.session.scalar(select(func.count(ResultRecord.id)).where(
            ResultRecord.call_id == world.call, ResultRecord.stage == ResultStage.PROPOSED)) == 1
    assert _count(app, "call.phase", to="notice") == 1 and _count(app, "results.proposed") == 1
    _intact(app)


def test_finalising_twice_at_once(app, monkeypatch):
    from venture.results import services as results

    world = make_results_world(app)
    review_table(app, world)
    organizer = Client(app, app.response_class, use_cookies=True)
    login(organizer, "organizer@example.org")
    assert organizer.submit(f"/calls/{world.call}/deliberation/open-notice", {}).status_code == 302
    with app.app_context():
        db.session.get(Call, world.call).notice_ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    _hold_until_both_arrive(monkeypatch, results, "finalise", app)
    answers, _ = _both(app, lambda c: c.submit(f"/calls/{world.call}/deliberation/finalise", {}, headers=EN))
    assert sorted(a.status_code for a in answers) == [302, 422], [a.status_code for a in answers]
    refused = next(a for a in answers if a.status_code == 422).get_data(as_text=True)
    assert "The final result is already published: someone published it a moment ago." in refused
    assert _count(app, "call.phase", to="published") == 1 and _count(app, "results.published") == 1
    _intact(app)


def test_cancelling_twice_at_once(app, monkeypatch):
    from venture.calls import services as calls

    world = make_results_world(app)
    _hold_until_both_arrive(monkeypatch, calls, "transition", app)
    answers, clients = _both(app, lambda c: c.submit(f"/calls/{world.call}/phase",
                                                     {"to": "cancelled", "reason": "预算未获批准"}, headers=EN))
    assert [a.status_code for a in answers] == [302, 302]
    assert _count(app, "call.phase", to="cancelled") == 1, "the second did not cancel again"
    told = sorted(c.get(f"/calls/{world.call}/manage", headers=EN).get_data(as_text=True).count(
        "This call is already at “Cancelled”: someone made this change a moment ago.") for c in clients)
    assert told == [0, 1]
    with app.app_context():
        assert db.session.get(Call, world.call).phase is Phase.CANCELLED
    _intact(app)
