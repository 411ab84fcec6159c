"""Fifty submissions race the closing time: each one accepted before the
deadline is stored whole with its receipt, each one after it is refused,
nothing is half-written, nothing fails with a 500. On SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import make_body, make_call, pdf_bytes
from tests.conftest import Client, login, make_user
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups.models import Group, GroupKind, GroupMembership, MemberRole
from venture.proposals import services, storage
from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion
from venture.proposals.services import BudgetLine, DraftContent

RACERS = 50


def _prepare(app, call_id: int) -> list[tuple[str, int]]:
    """A group and a complete draft per racer; returns (e-mail, proposal id)."""
    from decimal import Decimal

    from venture.accounts.models import User

    racers = []
    for index in range(RACERS):
        email = f"racer{index}@example.org"
        make_user(app, email)
        with app.test_request_context():
            user = db.session.scalar(select(User).where(User.email == email))
            group = Group(kind=GroupKind.GRASSROOTS, name=f"Team {index}", filed_with="Community",
                          contact_name="C", contact_phone="13900000000", contact_email=f"t{index}@example.org")
            db.session.add(group)
            group.memberships.append(GroupMembership(user=user, role=MemberRole.OWNER))
            db.session.flush()
            call = db.session.get(Call, call_id)
            proposal = services.start_proposal(db.session, user, call, group)
            services.save_draft(db.session, user, proposal, DraftContent(
                title=f"Garden {index}", summary="A shared garden", district="天河区", theme="长者关爱",
                beneficiaries=50, sections={"problem": "An empty lot", "activities": "Plant vegetables",
                                            "beneficiaries": "Older neighbours"},
                budget=[BudgetLine("Seeds", 300_000 + index, Decimal(1))]), proposal.lock_version)
            services.add_attachment(db.session, user, proposal, "a1", "budget.pdf", pdf_bytes())
            db.session.commit()
            racers.append((email, proposal.id))
    return racers


@pytest.fixture
def app_config():
    return {"LOGIN_LIMIT_PER_ADDRESS": 1000}  # fifty groups log in from one test address


def test_fifty_submissions_race_the_closing_time(app):
    make_user(app, "org@example.org")
    body = make_body(app, "org@example.org")
    call_id = make_call(app, body, Phase.OPEN)
    racers = _prepare(app, call_id)
    clients = []
    for email, proposal_id in racers:
        client = Client(app, app.response_class, use_cookies=True)
        login(client, email)
        client.csrf = client.csrf_token()
        clients.append((client, proposal_id))

    closes_at = utcnow() + timedelta(seconds=1.2)
    with app.app_context():
        db.session.get(Call, call_id).closes_at = closes_at
        db.session.commit()

    results: dict[int, tuple[int, str | None, float]] = {}
    start = threading.Barrier(RACERS)

    def race(index: int, client: Client, proposal_id: int) -> None:
        start.wait()
        time.sleep(index * 0.05)  # spread over 2.5 s around the deadline
        response = client.post(f"/proposals/{proposal_id}/submit",
                               data={"csrf_token": client.csrf, "confirm_warnings": "y"})
        results[proposal_id] = (response.status_code, response.location, time.time())

    threads = [threading.Thread(target=race, args=(i, c, p)) for i, (c, p) in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(results) == RACERS
    statuses = {code for code, _, _ in results.values()}
    assert statuses <= {302, 422}, f"unexpected answers: {statuses}"
    accepted = {pid for pid, (code, _, _) in results.items() if code == 302}
    refused = {pid for pid, (code, _, _) in results.items() if code == 422}
    assert accepted and refused, "the race straddled the deadline"

    with app.app_context():
        proposals = {p.id: p for p in db.session.scalars(select(Proposal))}
        numbers = []
        for pid in accepted:
            proposal = proposals[pid]
            [version] = proposal.versions
            assert results[pid][1].endswith(f"/proposals/{pid}/versions/1/receipt")
            assert proposal.status is ProposalStatus.SUBMITTED
            assert version.submitted_at < closes_at
            assert version.fingerprint == services.fingerprint(version.content)
            for item in version.content["attachments"]:
                stored = next(a for a in proposal.attachments if a.id == item["id"]).stored_name
                assert hashlib.sha256(storage.read(stored)).hexdigest() == item["sha256"]
            numbers.append(int(proposal.number.rsplit("-", 1)[1]))
        assert sorted(numbers) == list(range(1, len(accepted) + 1)), "receipt numbers unique, no gaps"
        for pid in refused:
            proposal = proposals[pid]
            assert proposal.status is ProposalStatus.DRAFT and proposal.number is None
            assert proposal.versions == []
        assert db.session.scalar(select(db_count(ProposalVersion.id))) == len(accepted)


def db_count(column):
    from sqlalchemy import func

    return func.count(column)
