"""Every main page runs a fixed number of SQL statements, whatever the size
of what it lists: each page is counted with 10 of its rows and again with
1,000 (an N+1 shows as a difference of hundreds).

The 1,000 rows are written with bulk inserts (one executemany per table),
valid for the pages that read them: submitted proposals with their frozen
version, assignments of accepted panel members, counters kept in step. Pages
that share data are counted together and compared as a whole, so a failure
names every page whose count moved. Each page is requested once before it is
counted, so process-wide caches (templates, translations) are not measured.
"""
from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select, update

from tests.builders import make_body, make_call
from tests.conftest import Client, count_statements, login, make_user
from tests.review_builders import add_member, make_expert
from venture.accounts.models import User
from venture.bodies.models import BodyKind, Organizer, OrganizingBody, PoolExpert
from venture.calls import services as calls
from venture.calls.models import Call, CallKind, Criterion, Phase
from venture.comments.models import Comment, CommentReport, CommentStatus
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups.models import Group, GroupKind, GroupMembership, MemberRole
from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion, Screening
from venture.proposals.services import fingerprint
from venture.review.models import Assignment, MemberStatus, PanelMember, Review, ReviewStatus, ReviewVersion
from venture.showcase import services as showcase

FEW, MANY = 10, 1000
TEXT = "把楼下荒废的空地变成社区菜园，长者和孩子每周六一起种菜。"
BUDGET = [{"item": "种子和工具", "unit_cost_fen": 1_000_000, "quantity": "1"}]
_seq = itertools.count(1)


# Counting --------------------------------------------------------------------------------------

def _client(app: Flask, email: str | None = None) -> Any:
    app.test_client_class = Client
    client = app.test_client()
    if email:
        login(client, email)
    return client


def _counts(app: Flask, client: Any, paths: dict[str, str]) -> dict[str, int]:
    found = {}
    for name, path in paths.items():
        client.get(path)  # warm up
        found[name] = count_statements(app, client, path)
    return found


# Bulk builders (inside an application context; the caller commits) ----------------------------

def _ids(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in one executemany; their ids, in order."""
    if not rows:
        return []
    return list(db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))


def _users(n: int, name: str = "居民") -> list[int]:
    now = utcnow()
    return _ids(User, [{"email": f"bulk{k}@example.org", "display_name": f"{name}{k}", "email_verified_at": now}
                       for k in (next(_seq) for _ in range(n))])


def _bodies(n: int) -> list[int]:
    return _ids(OrganizingBody, [{"name": f"第{k}街道办事处", "kind": BodyKind.STREET_OFFICE, "region": "天河区"}
                                 for k in (next(_seq) for _ in range(n))])


def _calls(body_ids: list[int], phase: Phase = Phase.OPEN) -> list[int]:
    now = utcnow()
    sections = calls.default_sections(CallKind.MICRO_LIVELIHOOD)
    rows = []
    for body_id in body_ids:
        k = next(_seq)
        rows.append(dict(
            body_id=body_id, kind=CallKind.MICRO_LIVELIHOOD, phase=phase, title=f"2026 幸福社区微民生项目 {k}",
            summary="小额资助社区自治项目", text_markdown="", text_html="", themes=["长者关爱", f"主题{k}"],
            districts=["天河区", f"区{k}"], allow_registered=True, allow_grassroots=True,
            total_budget_fen=20_000_000, min_grant_fen=200_000, max_grant_fen=3_000_000,
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=10, minutes=k), sections=sections,
            required_attachments=[{"key": "a1", "title": "预算表"}], published_at=now))
    ids = _ids(Call, rows)
    db.session.execute(insert(Criterion), [
        dict(call_id=call_id, position=position, name=name, weight=weight, max_points=Decimal(10))
        for call_id in ids for position, name, weight in ((1, "需求", 40), (2, "可行性", 60))])
    return ids


def _groups(n: int, member_id: int | None = None) -> list[int]:
    ids = _ids(Group, [{"kind": GroupKind.GRASSROOTS, "name": f"邻里互助队{k}", "filed_with": "幸福里社区居委会",
                        "contact_name": "赵桂英", "contact_phone": "13900139004",
                        "contact_email": "team@xingfu.example"} for k in (next(_seq) for _ in range(n))])
    if member_id is not None:
        db.session.execute(insert(GroupMembership), [
            {"group_id": group_id, "user_id": member_id, "role": MemberRole.OWNER} for group_id in ids])
    return ids


def _proposals(call_id: int, n: int, member_id: int | None = None,
               screening: Screening = Screening.ELIGIBLE) -> list[int]:
    """``n`` submitted proposals of new groups (of which ``member_id`` is the
    owner, if given), each with its first version frozen."""
    call = db.session.get(Call, call_id)
    groups = _groups(n, member_id)
    now = utcnow()
    rows = []
    for group_id in groups:
        k = next(_seq)
        rows.append(dict(
            call_id=call_id, group_id=group_id, status=ProposalStatus.SUBMITTED,
            number=f"2026-{call.kind.code}-Q{k:05d}", title=f"邻里菜园 {k}", summary=TEXT,
            sections={s["key"]: TEXT for s in call.sections}, budget=BUDGET, requested_fen=1_000_000,
            beneficiaries=40, district="天河区", theme="长者关爱", submitted_at=now - timedelta(minutes=k),
            version_count=1, screening=screening))
    ids = _ids(Proposal, rows)
    versions = []
    for proposal_id, row in zip(ids, rows, strict=True):
        content = {
            "call": call_id, "title": row["title"], "summary": TEXT,
            "sections": [{"key": s["key"], "title": s["title"], "text": TEXT} for s in call.sections],
            "budget": [dict(BUDGET[0], subtotal_fen=1_000_000)], "requested_fen": 1_000_000, "beneficiaries": 40,
            "district": "天河区", "theme": "长者关爱", "attachments": []}
        versions.append(dict(proposal_id=proposal_id, version_no=1, number=row["number"],
                             submitted_at=row["submitted_at"], content=content, fingerprint=fingerprint(content)))
    db.session.execute(insert(ProposalVersion), versions)
    return ids


def _comments(proposal_id: int, n: int, status: CommentStatus = CommentStatus.VISIBLE) -> list[int]:
    """``n`` comments, each by its own author, with the proposal's counter kept."""
    authors = _users(n)
    ids = _ids(Comment, [dict(proposal_id=proposal_id, author_id=author, body_markdown=f"好主意 {author}",
                              body_html=f"<p>好主意 {author}</p>", status=status,
                              held_reason="pre_moderation" if status is CommentStatus.PENDING else "")
                         for author in authors])
    if status is CommentStatus.VISIBLE:
        db.session.execute(update(Proposal).where(Proposal.id == proposal_id)
                           .values(comment_count=Proposal.comment_count + n),
                           execution_options={"synchronize_session": False})
    return ids


def _user_id(email: str) -> int:
    return db.session.scalar(select(User.id).where(User.email == email))


def _set_phase(app: Flask, call_id: int, phase: Phase) -> None:
    with app.app_context():
        db.session.get(Call, call_id).phase = phase
        db.session.commit()


# Calls: the home page, the call list, a body's page ------------------------------------------

def test_call_pages_do_not_grow_with_calls(app):
    """Half the calls belong to one body (its page lists them), half each to
    a body of its own (the call list names every call's body)."""
    make_user(app, "resident@example.org")
    make_user(app, "organizer@example.org")
    body = make_body(app, "organizer@example.org")
    resident = _client(app, "resident@example.org")
    paths = {"home": "/", "calls": "/calls/", "calls filtered": "/calls/?phase=accepting&district=天河区",
             "body": f"/bodies/{body}", "bodies": "/bodies/"}

    def grow(n: int) -> None:
        with app.app_context():
            _calls([body] * (n // 2))
            _calls(_bodies(n - n // 2))
            _groups(n, _user_id("resident@example.org"))  # the home page lists the resident's groups
            db.session.commit()

    grow(FEW)
    few = _counts(app, resident, paths)
    grow(MANY - FEW)
    many = _counts(app, resident, paths)
    page = resident.get("/calls/").get_data(as_text=True)
    assert page.count('class="card call-card"') == MANY
    assert many == few


# Proposals of a call: listings, search, the group's and the organizer's dashboards -------------

def test_proposal_listings_do_not_grow_with_proposals(app):
    from venture.search import services as search

    make_user(app, "organizer@example.org")
    make_user(app, "owner@example.org")
    body = make_body(app, "organizer@example.org")
    call = make_call(app, body, Phase.OPEN, title="2026 社区营造")
    owner = _client(app, "owner@example.org")
    organizer = _client(app, "organizer@example.org")

    def grow(n: int) -> dict[str, str]:
        with app.app_context():
            _proposals(call, n, member_id=_user_id("owner@example.org"), screening=Screening.PENDING)
            db.session.commit()
            newest = db.session.execute(
                showcase.visibility.public_proposals().where(Proposal.call_id == call)
                .with_only_columns(Proposal.submitted_at, Proposal.id)
                .order_by(Proposal.submitted_at.desc(), Proposal.id.desc())).all()
            middle = newest[len(newest) // 2]
            search.rebuild(db.session)
        deep = showcase.encode_cursor(middle.submitted_at, middle.id)
        return {"call proposals": f"/calls/{call}/proposals",
                "call proposals, deep page": f"/calls/{call}/proposals?after={deep}",
                "discussed": f"/calls/{call}/proposals?sort=discussed",
                "showcase": "/showcase", "showcase, deep page": f"/showcase?after={deep}",
                "feed": f"/calls/{call}/feed.atom", "call": f"/calls/{call}",
                "search": "/search?q=菜园", "search, filtered": f"/search?q=菜园&type=proposal&call={call}",
                "my proposals": "/my/proposals"}

    paths = grow(FEW)
    few = _counts(app, owner, paths) | _counts(app, organizer, {"manage": f"/calls/{call}/manage"})
    paths = grow(MANY - FEW)
    many = _counts(app, owner, paths) | _counts(app, organizer, {"manage": f"/calls/{call}/manage"})
    assert owner.get("/my/proposals").get_data(as_text=True).count("邻里菜园") >= MANY
    assert "菜园" in owner.get("/search?q=菜园").get_data(as_text=True)
    assert many == few


# A proposal's page: its comment thread ----------------------------------------------------------

def test_proposal_page_does_not_grow_with_comments(app):
    make_user(app, "organizer@example.org")
    make_user(app, "resident@example.org")
    body = make_body(app, "organizer@example.org")
    call = make_call(app, body, Phase.OPEN, title="2026 社区营造")
    with app.app_context():
        proposal = _proposals(call, 1)[0]
        db.session.commit()
    resident = _client(app, "resident@example.org")
    paths = {"proposal": f"/proposals/{proposal}"}

    def grow(n: int) -> None:
        with app.app_context():
            _comments(proposal, n)
            db.session.commit()

    grow(FEW)
    few = _counts(app, resident, paths) | _counts(app, _client(app), {"proposal, anonymous": paths["proposal"]})
    grow(MANY - FEW)
    many = _counts(app, resident, paths) | _counts(app, _client(app), {"proposal, anonymous": paths["proposal"]})
    assert many == few


# The moderation queue -------------------------------------------------------------------------

def test_moderation_queue_does_not_grow_with_comments(app):
    """Held comments and reported ones, each by its own author."""
    make_user(app, "organizer@example.org")
    make_user(app, "reporter@example.org")
    body = make_body(app, "organizer@example.org")
    call = make_call(app, body, Phase.OPEN, title="2026 社区营造", comment_moderation="pre")
    with app.app_context():
        proposals = _proposals(call, 2)
        db.session.commit()
    organizer = _client(app, "organizer@example.org")
    paths = {"moderation": f"/bodies/{body}/moderation"}

    def grow(n: int) -> None:
        with app.app_context():
            _comments(proposals[0], n, CommentStatus.PENDING)
            reporter = _user_id("reporter@example.org")
            reported = _comments(proposals[1], n)
            db.session.execute(insert(CommentReport), [dict(comment_id=c, reporter_id=reporter, reason="广告")
                                                       for c in reported])
            db.session.execute(update(Comment).where(Comment.id.in_(reported)).values(report_count=1),
                               execution_options={"synchronize_session": False})
            db.session.commit()

    grow(FEW)
    few = _counts(app, organizer, paths)
    grow(MANY - FEW)
    many = _counts(app, organizer, paths)
    assert many == few


# Review: the reviewer's dashboard, the organizer's progress and deliberation ------------------

def test_review_pages_do_not_grow_with_assignments(app):
    """One reviewer is assigned every proposal (half of them with a draft
    review); a second has submitted a review of each."""
    for email in ("organizer@example.org", "r1@example.org", "r2@example.org"):
        make_user(app, email)
    body = make_body(app, "organizer@example.org")
    call = make_call(app, body, Phase.CLOSED, title="2026 助老服务创投", reviewers_per_proposal=2,
                     total_budget_fen=20_000_000)
    members = [add_member(app, call, make_expert(app, body, email)) for email in ("r1@example.org", "r2@example.org")]
    _set_phase(app, call, Phase.REVIEW)
    reviewer = _client(app, "r1@example.org")
    organizer = _client(app, "organizer@example.org")

    def grow(n: int) -> None:
        with app.app_context():
            criteria = list(db.session.scalars(select(Criterion).where(Criterion.call_id == call)
                                               .order_by(Criterion.position)))
            proposals = _proposals(call, n)
            first = _ids(Assignment, [dict(proposal_id=p, member_id=members[0], manual=True) for p in proposals])
            second = _ids(Assignment, [dict(proposal_id=p, member_id=members[1], manual=True) for p in proposals])
            db.session.execute(insert(Review), [dict(assignment_id=a, status=ReviewStatus.DRAFT, scores={},
                                                     reasons={}) for a in first[::2]])
            now = utcnow()
            scores = {str(c.id): str(5 + i % 5) for i, c in enumerate(criteria)}
            reviews = _ids(Review, [dict(assignment_id=a, status=ReviewStatus.SUBMITTED, scores=scores,
                                         reasons={key: "理由充分" for key in scores}, submitted_at=now,
                                         version_count=1) for a in second])
            content = {"criteria": [{"id": c.id, "score": scores[str(c.id)], "reason": "理由充分"} for c in criteria],
                       "comment": "", "note": "", "total": "60.00"}
            db.session.execute(insert(ReviewVersion), [
                dict(review_id=r, version_no=1, submitted_at=now, content=content, total=Decimal("60.00"),
                     fingerprint=fingerprint(content)) for r in reviews])
            db.session.commit()

    def counts() -> dict[str, int]:
        return (_counts(app, reviewer, {"review dashboard": "/review/"})
                | _counts(app, organizer, {"progress": f"/calls/{call}/progress",
                                           "deliberation": f"/calls/{call}/deliberation",
                                           "screening": f"/calls/{call}/screening",
                                           "panel": f"/calls/{call}/panel"}))

    grow(FEW)
    few = counts()
    grow(MANY - FEW)
    many = counts()
    assert reviewer.get("/review/").get_data(as_text=True).count(f'href="/review/') >= MANY
    assert many == few


# The public results page -------------------------------------------------------------------

def test_public_results_page_does_not_grow_with_lines(app):
    """The frozen record's lines (one per proposal) and objections to them."""
    from tests.public_results_builders import content_for, line, make_results_world
    from venture.results.models import Objection, ResultRecord

    ids = make_results_world(app)
    resident = _client(app, "resident@example.org")
    paths = {"results": f"/calls/{ids['call_id']}/results", "objections": f"/calls/{ids['call_id']}/objections"}

    def grow(n: int) -> None:
        with app.app_context():
            proposals = db.session.execute(select(Proposal.id, Proposal.number, Proposal.title)
                                           .where(Proposal.call_id == ids["call_id"]).order_by(Proposal.id)).all()
            record = db.session.get(ResultRecord, ids["record_id"])
            content = content_for(ids)
            content["lines"] = [line(rank, p.id, p.number, p.title, f"互助队{rank}", score=f"{90 - rank / 100:.2f}",
                                     final=f"{90 - rank / 100:.2f}")
                                for rank, p in enumerate(proposals, start=1)]
            content["totals"]["proposals"] = len(proposals)
            record.content = content
            author = _user_id("resident@example.org")
            db.session.execute(insert(Objection), [dict(call_id=ids["call_id"], proposal_id=p.id, author_id=author,
                                                        text="请说明评分理由。") for p in proposals[-n:]])
            db.session.commit()

    with app.app_context():
        _proposals(ids["call_id"], FEW - 3)
        db.session.commit()
    grow(FEW)
    few = _counts(app, resident, paths)
    with app.app_context():
        _proposals(ids["call_id"], MANY - FEW)
        db.session.commit()
    grow(MANY - FEW)
    many = _counts(app, resident, paths)
    assert many == few


# The expert pool --------------------------------------------------------------------------

def test_expert_pool_does_not_grow_with_experts(app):
    """Each expert is a person of their own; half of them sit on a panel."""
    make_user(app, "organizer@example.org")
    body = make_body(app, "organizer@example.org")
    call = make_call(app, body, Phase.CLOSED, title="2026 助老服务创投")
    organizer = _client(app, "organizer@example.org")
    paths = {"pool": f"/bodies/{body}/experts", "staff": f"/bodies/{body}/staff"}

    def grow(n: int) -> None:
        with app.app_context():
            users = _users(n, "专家")
            experts = _ids(PoolExpert, [dict(body_id=body, user_id=u, expertise=["social_work"], affiliations=[])
                                        for u in users])
            db.session.execute(insert(PanelMember), [dict(call_id=call, expert_id=e, manual=True,
                                                          status=MemberStatus.ACCEPTED, responded_at=utcnow())
                                                     for e in experts[::2]])
            db.session.execute(insert(Organizer), [dict(body_id=body, user_id=u) for u in users[::2]])
            db.session.commit()

    grow(FEW)
    few = _counts(app, organizer, paths)
    grow(MANY - FEW)
    many = _counts(app, organizer, paths)
    assert many == few

