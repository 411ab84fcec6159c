"""A submission is judged by when its request reached the server: one that
arrived before the closing time is accepted even when a worker gets to it
after, its receipt carries the arrival; one that arrived after the closing
time and the call's grace period is refused. A trusted front proxy's stamp
counts when configured. On SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.builders import make_body, make_call, pdf_bytes
from tests.conftest import Client, login, make_user
from venture.calls.models import Call, Phase
from venture.core import arrival
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups.models import Group, GroupKind, GroupMembership, MemberRole
from venture.proposals import services
from venture.proposals.models import Proposal, ProposalStatus
from venture.proposals.services import BudgetLine, DraftContent

HEADER = "X-Request-Start"


@pytest.fixture
def app_config():
    return {"TRUSTED_ARRIVAL_HEADER": HEADER}


def _draft(app, call_id: int, email: str) -> int:
    from venture.accounts.models import User

    make_user(app, email)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == email))
        group = Group(kind=GroupKind.GRASSROOTS, name="Garden team", filed_with="Community",
                      contact_name="C", contact_phone="13900000000", contact_email="team@example.org")
        db.session.add(group)
        group.memberships.append(GroupMembership(user=user, role=MemberRole.OWNER))
        db.session.flush()
        proposal = services.start_proposal(db.session, user, db.session.get(Call, call_id), group)
        services.save_draft(db.session, user, proposal, DraftContent(
            title="Garden", summary="A shared garden", district="天河区", theme="长者关爱",
            beneficiaries=50, sections={"problem": "An empty lot", "activities": "Plant vegetables",
                                        "beneficiaries": "Older neighbours"},
            budget=[BudgetLine("Seeds", 300_000, Decimal(1))]), proposal.lock_version)
        services.add_attachment(db.session, user, proposal, "a1", "budget.pdf", pdf_bytes())
        db.session.commit()
        return proposal.id


def _ready(app, *, closed_ago: timedelta, grace_minutes: int = 0) -> tuple[Client, int, object]:
    """A signed-in group with a complete draft in a call that closed
    ``closed_ago`` ago (still recorded as open: nobody has moved it yet)."""
    make_user(app, "org@example.org")
    body = make_body(app, "org@example.org")
    call_id = make_call(app, body, Phase.OPEN)
    proposal_id = _draft(app, call_id, "group@example.org")
    client = Client(app, app.response_class, use_cookies=True)
    login(client, "group@example.org")
    token = client.csrf_token()
    closes_at = utcnow() - closed_ago
    with app.app_context():
        call = db.session.get(Call, call_id)
        call.opens_at = closes_at - timedelta(days=10)
        call.closes_at = closes_at
        call.grace_minutes = grace_minutes
        db.session.commit()
    client.csrf = token
    return client, proposal_id, closes_at


def _submit(client: Client, proposal_id: int, headers: dict[str, str] | None = None):
    return client.post(f"/proposals/{proposal_id}/submit", headers=headers or {},
                       data={"csrf_token": client.csrf, "confirm_warnings": "y"})


def _stored(app, proposal_id: int) -> Proposal:
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        _ = proposal.versions
        db.session.expunge_all()
        return proposal


def test_arrived_before_closing_processed_after_is_accepted(app, monkeypatch):
    client, proposal_id, closes_at = _ready(app, closed_ago=timedelta(seconds=30))
    arrived = closes_at - timedelta(seconds=1)
    # The request reached the server a second before the close; the worker
    # gets to it half a minute later (the real clock).
    monkeypatch.setattr(arrival, "utcnow", lambda: arrived)
    response = _submit(client, proposal_id)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    proposal = _stored(app, proposal_id)
    assert proposal.status is ProposalStatus.SUBMITTED
    [version] = proposal.versions
    assert version.submitted_at.replace(tzinfo=None) == arrived.replace(tzinfo=None)
    receipt = client.get(response.location)
    assert receipt.status_code == 200


def test_arrived_after_closing_is_refused(app):
    client, proposal_id, _ = _ready(app, closed_ago=timedelta(seconds=30))
    response = _submit(client, proposal_id)
    assert response.status_code == 422
    assert _stored(app, proposal_id).status is ProposalStatus.DRAFT


def test_within_the_grace_period_is_accepted(app):
    client, proposal_id, _ = _ready(app, closed_ago=timedelta(minutes=2), grace_minutes=5)
    assert _submit(client, proposal_id).status_code == 302
    assert _stored(app, proposal_id).status is ProposalStatus.SUBMITTED


def test_after_closing_and_grace_is_refused(app):
    client, proposal_id, _ = _ready(app, closed_ago=timedelta(minutes=6), grace_minutes=5)
    assert _submit(client, proposal_id).status_code == 422
    assert _stored(app, proposal_id).status is ProposalStatus.DRAFT


def test_trusted_proxy_stamp_before_closing_is_accepted(app):
    client, proposal_id, closes_at = _ready(app, closed_ago=timedelta(seconds=30))
    stamp = f"t={(closes_at - timedelta(seconds=2)).timestamp():.3f}"
    assert _submit(client, proposal_id, {HEADER: stamp}).status_code == 302
    [version] = _stored(app, proposal_id).versions
    assert abs(version.submitted_at.replace(tzinfo=None)
               - (closes_at - timedelta(seconds=2)).replace(tzinfo=None)) < timedelta(milliseconds=2)


@pytest.mark.parametrize("stamp", ["soon", "t=nan", "0", "-5", "1e30"])
def test_unreadable_or_implausible_stamps_fall_back_to_the_server_clock(app, stamp):
    client, proposal_id, _ = _ready(app, closed_ago=timedelta(seconds=30))
    assert _submit(client, proposal_id, {HEADER: stamp}).status_code == 422


def test_a_stamp_from_long_before_is_not_believed(app):
    client, proposal_id, closes_at = _ready(app, closed_ago=timedelta(seconds=30))
    stamp = (utcnow() - arrival.MAX_PROXY_LEAD - timedelta(minutes=1)).timestamp()
    assert _submit(client, proposal_id, {HEADER: f"{stamp:.3f}"}).status_code == 422


def test_parse_stamp_units():
    assert arrival.parse_stamp("t=1700000000.5").timestamp() == 1700000000.5
    assert arrival.parse_stamp("1700000000500").timestamp() == 1700000000.5  # milliseconds
    assert arrival.parse_stamp("1700000000500000").timestamp() == 1700000000.5  # microseconds
    assert arrival.parse_stamp("") is None


def test_the_grace_period_is_a_published_rule_frozen_at_opening(app):
    from tests.builders import rules
    from venture.calls import services as calls
    from venture.core.errors import DomainError

    make_user(app, "org@example.org")
    body = make_body(app, "org@example.org")
    call_id = make_call(app, body, Phase.OPEN, grace_minutes=10)
    with app.app_context():
        call = db.session.get(Call, call_id)
        published = calls.published_rules(call)
        assert published["grace_minutes"] == 10
        assert call.accepts_until == call.closes_at + timedelta(minutes=10)
        changed = rules(grace_minutes=30, opens_at=call.opens_at, closes_at=call.closes_at)
        with pytest.raises(DomainError) as refused:
            calls.update_call(db.session, None, call, changed)
        assert refused.value.field == "grace_minutes"


def test_a_grace_period_beyond_the_limit_is_refused():
    from tests.builders import rules
    from venture.calls import services as calls

    problems = calls.rules_problems(rules(grace_minutes=calls.MAX_GRACE_MINUTES + 1))
    assert any(p.field == "grace_minutes" for p in problems)
    assert not any(p.field == "grace_minutes" for p in calls.rules_problems(rules(grace_minutes=5)))


def test_the_moment_the_worker_accepted_the_connection_counts(app):
    """venture.arrival_worker notes when a connection was accepted; a request
    handled later is judged by that moment."""
    client, proposal_id, closes_at = _ready(app, closed_ago=timedelta(seconds=30))
    arrival.note_accepted((closes_at - timedelta(seconds=1)).timestamp())
    try:
        assert _submit(client, proposal_id).status_code == 302
    finally:
        arrival.note_accepted(None)
    assert _stored(app, proposal_id).status is ProposalStatus.SUBMITTED
