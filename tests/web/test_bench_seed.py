"""The benchmark data set at a tiny scale, on SQLite and PostgreSQL: the
rows are there, the denormalised counters match what they count, every
version is the snapshot of its proposal with a true fingerprint, receipt
numbers are unique, and the public pages render. (Benchmarks print
figures; no test here looks at a timing.)"""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from venture.accounts.models import User
from venture.bench import seed as seeding
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Phase
from venture.comments.models import Comment, CommentStatus
from venture.core.sanitize import render_markdown
from venture.extensions import db
from venture.groups.models import Group
from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion, ReceiptCounter
from venture.proposals.services import fingerprint, snapshot
from venture.showcase.models import Support
from venture.showcase.services import listing
from venture.showcase.visibility import SHOWCASE_PHASES

TINY = seeding.SCALES["tiny"]
ANCHOR = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def seeded(app):
    with app.app_context():
        summary = seeding.seed(db.session, "tiny", now=ANCHOR)
    return summary


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_tiny_data_set_has_the_promised_rows(app, seeded):
    with app.app_context():
        assert count(User) == TINY.users
        assert count(Group) == TINY.groups
        assert count(Call) == TINY.calls
        assert count(Proposal) == TINY.proposals
        assert count(Comment) == TINY.comments
        assert count(Support) == TINY.supports
        assert count(PoolExpert) == TINY.reviewers
        assert count(ProposalVersion) >= TINY.proposals
        phases = set(db.session.scalars(select(Call.phase)))
        assert {Phase.OPEN, Phase.CLOSED, Phase.REVIEW} <= phases
    assert seeded.counts["proposals"] == TINY.proposals


def test_counters_versions_and_receipts_are_consistent(app, seeded):
    with app.app_context():
        comments = Counter(db.session.scalars(select(Comment.proposal_id)
                                              .where(Comment.status == CommentStatus.VISIBLE)))
        supports = Counter(db.session.scalars(select(Support.proposal_id)))
        numbers = []
        for proposal in db.session.scalars(select(Proposal)):
            assert proposal.status is ProposalStatus.SUBMITTED
            assert proposal.comment_count == comments[proposal.id]
            assert proposal.support_count == supports[proposal.id]
            assert proposal.version_count == len(proposal.versions) >= 1
            assert proposal.requested_fen == proposal.budget_total_fen
            assert [v.version_no for v in proposal.versions] == list(range(1, proposal.version_count + 1))
            for version in proposal.versions:
                assert version.fingerprint == fingerprint(version.content)
                assert version.number == proposal.number
            latest = proposal.latest_version
            assert latest.content == snapshot(proposal), "the latest version is the proposal as submitted"
            assert latest.submitted_at == proposal.submitted_at
            if proposal.call.phase is Phase.OPEN:
                assert proposal.call.opens_at <= proposal.submitted_at < proposal.call.closes_at
            numbers.append(proposal.number)
        assert len(set(numbers)) == len(numbers), "receipt numbers are unique"
        highest: dict[tuple[int, str], int] = {}
        for number in numbers:
            year, code, n = number.split("-")
            highest[(int(year), code)] = max(highest.get((int(year), code), 0), int(n))
        counters = {(c.year, c.code): c.last for c in db.session.scalars(select(ReceiptCounter))}
        assert counters == highest
        for comment in db.session.scalars(select(Comment).where(Comment.parent_id.is_not(None))):
            assert comment.parent.proposal_id == comment.proposal_id and comment.parent.parent_id is None
        sample = db.session.scalars(select(Comment).limit(20)).all()
        assert all(c.body_html == render_markdown(c.body_markdown) for c in sample)
        public = {p.call.phase in SHOWCASE_PHASES for p in db.session.scalars(select(Proposal)) if p.comment_count}
        assert public == {True}, "comments only on public proposals"


def test_the_same_seed_gives_the_same_data(app, seeded):
    with app.app_context():
        first = [(p.id, p.number, p.title, p.requested_fen) for p in db.session.scalars(select(Proposal).order_by(Proposal.id))]
        seeding.seed(db.session, "tiny", now=ANCHOR, force=True)
        again = [(p.id, p.number, p.title, p.requested_fen) for p in db.session.scalars(select(Proposal).order_by(Proposal.id))]
    assert first == again


def test_refuses_a_database_with_users_unless_forced(app, seeded):
    with app.app_context():
        with pytest.raises(seeding.SeedRefused):
            seeding.seed(db.session, "tiny")
    result = app.test_cli_runner().invoke(args=["bench", "seed", "--scale", "tiny"])
    assert result.exit_code != 0 and "already has users" in result.output
    result = app.test_cli_runner().invoke(args=["bench", "seed", "--scale", "town"])
    assert result.exit_code != 0


def test_cli_seeds_an_empty_database(app):
    result = app.test_cli_runner().invoke(args=["bench", "seed", "--scale", "tiny"])
    assert result.exit_code == 0, result.output
    assert "Seeded in" in result.output
    with app.app_context():
        assert count(Proposal) == TINY.proposals


def test_listing_and_proposal_pages_render(app, client, seeded):
    with app.app_context():
        call = db.session.scalars(select(Call).where(Call.phase == Phase.OPEN).order_by(Call.id)).first()
        first = listing(db.session, call_id=call.id, page_size=3)
        proposal_id = db.session.scalars(select(Proposal.id).join(Call).where(Call.phase.in_(SHOWCASE_PHASES))
                                         .order_by(Proposal.comment_count.desc())).first()
    assert client.get("/").status_code == 200
    assert client.get("/calls/").status_code == 200
    page = client.get(f"/calls/{call.id}/proposals")
    assert page.status_code == 200
    title = first.items[0][1].content["title"]
    assert title in page.get_data(as_text=True)
    assert first.next_cursor
    assert client.get(f"/calls/{call.id}/proposals?after={first.next_cursor}").status_code == 200
    assert client.get(f"/proposals/{proposal_id}").status_code == 200
