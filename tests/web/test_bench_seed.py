"""The benchmark data set at a tiny scale, on SQLite and PostgreSQL: the
rows are there, the denormalised counters match what they count, every
version is the snapshot of its proposal with a true fingerprint, receipt
numbers are unique, the review stage hangs together (panels, screening,
assignments, frozen reviews, result records), and the public pages render.
(Benchmarks print figures; no test here looks at a timing.)"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from venture.accounts.models import User
from venture.bench import seed as seeding
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Phase
from venture.comments.models import Comment, CommentStatus
from venture.core.sanitize import render_markdown
from venture.extensions import db
from venture.groups.models import Group
from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion, ReceiptCounter, Screening
from venture.proposals.services import fingerprint, snapshot
from venture.results import services as results
from venture.results.models import ResultRecord, ResultStage
from venture.review import draw as drawing
from venture.review import scoring
from venture.review.expertise import AREAS, FINANCE
from venture.review.models import Assignment, MemberStatus, PanelDraw, PanelMember, Review, ReviewStatus, ReviewVersion
from venture.showcase.models import Support
from venture.showcase.services import listing
from venture.showcase.visibility import SHOWCASE_PHASES

TINY = seeding.SCALES["tiny"]
ANCHOR = datetime(2026, 3, 1, tzinfo=UTC)
REVIEWED = (Phase.REVIEW, Phase.NOTICE, Phase.PUBLISHED)


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


# The review stage ---------------------------------------------------------------------------------

def check_review_stage(scale: seeding.Scale) -> dict[str, int]:
    """Everything the review stage of a seeded data set must satisfy; returns a few counts."""
    session = db.session
    experts = session.scalars(select(PoolExpert)).all()
    assert len(experts) == scale.reviewers
    assert all(e.expertise and set(e.expertise) <= set(AREAS) for e in experts)
    finance = sum(1 for e in experts if FINANCE in e.expertise)
    assert finance == len(range(0, scale.reviewers, 3)), "a third of the pool has finance"
    calls = {c.id: c for c in session.scalars(select(Call))}
    reviewed = [c for c in calls.values() if c.phase in REVIEWED]
    assert reviewed
    members = session.scalars(select(PanelMember)).all()
    panel: dict[int, set[int]] = defaultdict(set)
    for member in members:
        assert member.status is MemberStatus.ACCEPTED and member.conflicts_declared_at is not None
        assert member.expert.body_id == member.call.body_id, "panels come from the body's own pool"
        assert member.call.phase in REVIEWED
        panel[member.call_id].add(member.id)
    for call in reviewed:
        pool = sum(1 for e in experts if e.body_id == call.body_id)
        assert min(8, pool) <= len(panel[call.id]) <= 15
        assert call.reviewers_per_proposal <= len(panel[call.id])
    # Each draw re-runs to the panel it gave.
    for record in session.scalars(select(PanelDraw)):
        again = drawing.draw_panel(record.seed, drawing.candidates_from_snapshot(record.pool_snapshot),
                                   record.size, record.minimums)
        assert list(again.chosen) == record.chosen
        assert {m.expert_id for m in members if m.draw_id == record.id} == set(record.chosen)
    # Screening: every submitted proposal of a reviewed call, a few found ineligible with a reason.
    assigned = Counter(session.scalars(select(Assignment.proposal_id)))
    ineligible = 0
    for proposal in session.scalars(select(Proposal).options(joinedload(Proposal.call))):
        if proposal.call.phase not in REVIEWED:
            assert proposal.screening is Screening.PENDING and proposal.id not in assigned
            continue
        assert proposal.screening is not Screening.PENDING and proposal.screened_at > proposal.call.closes_at
        assert len(proposal.screening_reason) >= 10
        if proposal.screening is Screening.INELIGIBLE:
            ineligible += 1
            assert proposal.id not in assigned, "ineligible proposals are not reviewed"
        else:
            assert assigned[proposal.id] == proposal.call.reviewers_per_proposal
    assert ineligible >= 1
    # Assignments: the member sits on the proposal's call panel, once per proposal; even loads.
    loads: dict[int, Counter[int]] = defaultdict(Counter)
    pairs = set()
    for assignment in session.scalars(select(Assignment).options(joinedload(Assignment.proposal))):
        call_id = assignment.proposal.call_id
        assert assignment.member_id in panel[call_id]
        assert assignment.ended_at is None and assignment.created_at > assignment.proposal.screened_at
        assert (assignment.member_id, assignment.proposal_id) not in pairs
        pairs.add((assignment.member_id, assignment.proposal_id))
        loads[call_id][assignment.member_id] += 1
    for counter in loads.values():
        assert max(counter.values()) - min(counter.values()) <= 1
    # Reviews: submitted ones frozen with scoring.freeze, true fingerprints and totals.
    drafts = 0
    rubric = {call.id: list(call.criteria) for call in calls.values()}
    everything = session.scalars(select(Review).options(
        selectinload(Review.versions), joinedload(Review.assignment).joinedload(Assignment.proposal))).all()
    for review in everything:
        call = calls[review.assignment.proposal.call_id]
        criteria, phase = rubric[call.id], call.phase
        if review.status is ReviewStatus.DRAFT:
            drafts += 1
            assert phase is Phase.REVIEW and not review.versions and review.submitted_at is None
            assert not scoring.draft_problems(criteria, review.scores, review.reasons)
            continue
        assert review.status is ReviewStatus.SUBMITTED and review.version_count == len(review.versions) == 1
        assert not scoring.problems(criteria, review.scores, review.reasons)
        version = review.versions[-1]
        assert version.fingerprint == scoring.fingerprint(version.content)
        assert version.content == scoring.freeze(criteria, review.scores, review.reasons,
                                                 review.comment_to_applicant, review.note_to_organizer)
        assert version.total == Decimal(version.content["total"]) == scoring.total(criteria, review.scores)
        assert all(Decimal(c["score"]) % Decimal("0.5") == 0 for c in version.content["criteria"])
        assert review.submitted_at == version.submitted_at
        assert review.assignment.created_at < version.submitted_at
        if call.notice_opened_at is not None:
            assert version.submitted_at < call.notice_opened_at
    submitted = count(ReviewVersion)
    assert drafts >= 1 and submitted >= 1
    # Result records for calls in notice (proposed) and published (proposed and final),
    # exactly what results.services would freeze from these rows.
    records = {(r.call_id, r.stage): r for r in session.scalars(select(ResultRecord))}
    expected = set()
    for call in reviewed:
        if call.phase is Phase.REVIEW:
            assert call.notice_opened_at is None and call.review_due_at is not None
            continue
        stages = [ResultStage.PROPOSED] + ([ResultStage.FINAL] if call.phase is Phase.PUBLISHED else [])
        for stage in stages:
            expected.add((call.id, stage))
            record = records[(call.id, stage)]
            assert record.fingerprint == results.fingerprint(record.content)
            moment = call.notice_opened_at if stage is ResultStage.PROPOSED else call.results_published_at
            again = results.record_content(session, call, results.compute(session, call, moment), stage)
            assert again == record.content
            assert record.content["totals"]["proposals"] == sum(
                1 for p in call_proposals(call) if p.screening is Screening.ELIGIBLE)
            assert any(line["reviews"] for line in record.content["lines"])
        assert call.notice_ends_at > call.notice_opened_at
    assert set(records) == expected
    return {"reviews": count(Review), "versions": submitted, "records": len(records)}


def call_proposals(call: Call) -> list[Proposal]:
    return db.session.scalars(select(Proposal).where(Proposal.call_id == call.id)).all()


def test_tiny_review_stage_is_consistent(app, seeded):
    with app.app_context():
        counts = check_review_stage(TINY)
    assert counts["records"] >= 1, "the tiny set has a call in public notice"
    assert TINY.reviews * 0.6 <= counts["reviews"] <= TINY.reviews * 1.4
    assert seeded.counts["reviews"] == counts["reviews"]
    assert seeded.counts["result_records"] == counts["records"]


def test_small_review_stage_is_consistent(app):
    small = seeding.SCALES["small"]
    with app.app_context():
        seeding.seed(db.session, "small", now=ANCHOR)
        counts = check_review_stage(small)
        phases = {c.phase for c in db.session.scalars(select(Call))}
    assert {Phase.REVIEW, Phase.NOTICE, Phase.PUBLISHED} <= phases
    assert counts["records"] >= 3  # a proposed record for each of notice and published, a final one
    assert small.reviews * 0.8 <= counts["reviews"] <= small.reviews * 1.2


def review_rows() -> list[tuple]:
    session = db.session
    return [
        [(e.id, e.user_id, tuple(e.expertise)) for e in session.scalars(select(PoolExpert).order_by(PoolExpert.id))],
        [(d.id, d.seed, tuple(d.chosen)) for d in session.scalars(select(PanelDraw).order_by(PanelDraw.id))],
        [(p.id, p.screening.value, p.screening_reason)
         for p in session.scalars(select(Proposal).order_by(Proposal.id))],
        [(a.id, a.proposal_id, a.member_id) for a in session.scalars(select(Assignment).order_by(Assignment.id))],
        [(r.id, r.status.value, r.scores) for r in session.scalars(select(Review).order_by(Review.id))],
        [(v.id, v.fingerprint) for v in session.scalars(select(ReviewVersion).order_by(ReviewVersion.id))],
        [(r.call_id, r.stage.value, r.fingerprint)
         for r in session.scalars(select(ResultRecord).order_by(ResultRecord.id))],
    ]


def test_the_same_seed_gives_the_same_review_stage(app, seeded):
    with app.app_context():
        first = review_rows()
        seeding.seed(db.session, "tiny", now=ANCHOR, force=True)
        again = review_rows()
        seeding.seed(db.session, "tiny", seed=7, now=ANCHOR, force=True)
        other = review_rows()
    assert first == again
    assert first[4] != other[4], "another seed gives other reviews"


def test_reviewer_dashboard_and_results_page_render(app, client, seeded):
    with app.app_context():
        member = db.session.scalars(select(PanelMember).join(Call).where(Call.phase == Phase.REVIEW)
                                    .order_by(PanelMember.id)).first()
        email = member.expert.user.email
        assignment_id = db.session.scalars(select(Assignment.id).where(Assignment.member_id == member.id)
                                           .order_by(Assignment.id)).first()
        notice = db.session.scalars(select(Call.id).where(Call.phase.in_([Phase.NOTICE, Phase.PUBLISHED]))
                                    .order_by(Call.id)).first()
    page = client.get(f"/calls/{notice}/results")
    assert page.status_code == 200
    client.submit("/login", {"email": email, "password": seeding.PASSWORD})
    dashboard = client.get("/review/")
    assert dashboard.status_code == 200
    assert f"/review/{assignment_id}" in dashboard.get_data(as_text=True)
