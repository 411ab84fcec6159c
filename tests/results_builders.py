"""Builders for the results stage: a call under review with proposals,
a panel and submitted reviews, made so that the audit chain vouches for
every stored row (as the services leave them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group
from tests.conftest import make_user
from tests.review_builders import add_member, assign, make_expert, make_submitted_proposal
from venture.accounts.models import User
from venture.audit import services as audit
from venture.calls.models import Call, Phase
from venture.extensions import db
from venture.proposals.models import Proposal, ProposalVersion, Screening
from venture.proposals.services import fingerprint
from venture.review import services as reviews
from venture.review.models import Assignment

REASON = "理由充分，说明了评分依据。"


@dataclass
class World:
    body: int
    call: int
    proposals: list[int]
    groups: list[int]
    members: list[int]
    assignments: dict[tuple[int, int], int] = field(default_factory=dict)  # (proposal index, member index)


def seal_versions(app: Flask) -> None:
    """Give builder-made proposal versions their true fingerprint and the
    audited submission the proposals service would have written."""
    with app.test_request_context():
        for version in db.session.scalars(select(ProposalVersion).order_by(ProposalVersion.id)):
            if version.fingerprint != "0" * 64:
                continue
            version.fingerprint = fingerprint(version.content)
            proposal = db.session.get(Proposal, version.proposal_id)
            audit.record(db.session, None, "proposal.submitted", proposal, number=proposal.number,
                         version=version.version_no, fingerprint=version.fingerprint,
                         submitted_at=version.submitted_at.isoformat(), **{"from": "draft"})
        db.session.commit()


def seal_objection(objection: Any) -> None:
    """The audit entries the objections service would have written for a builder-made objection."""
    import hashlib

    from venture.results.models import ObjectionStatus

    def digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    audit.record(db.session, None, "objection.lodged", objection, call=objection.call_id,
                 proposal=objection.proposal_id, text_sha256=digest(objection.text), attachment_sha256="")
    if objection.status is not ObjectionStatus.OPEN:
        audit.record(db.session, None, "objection.answered", objection, call=objection.call_id,
                     status=objection.status.value, revised=False, answer_sha256=digest(objection.answer))


def make_results_world(app: Flask, proposals: int = 3, reviewers: int = 3, users: bool = True,
                       **call_overrides: Any) -> World:
    """A call under review with ``proposals`` eligible proposals (each of its
    own group, owned by owner<i>@example.org, requesting 10,000 yuan) and
    ``reviewers`` accepted members (r<j>@example.org) each assigned to every
    proposal. organizer@example.org organizes it."""
    if users:
        for email in ["organizer@example.org", "other_organizer@example.org", "resident@example.org"]:
            make_user(app, email)
    for j in range(reviewers):
        make_user(app, f"r{j}@example.org", name=f"Reviewer {j}")
    for i in range(proposals):
        make_user(app, f"owner{i}@example.org")
    body = make_body(app, "organizer@example.org")
    if users:
        make_body(app, "other_organizer@example.org", name="Other body")
    settings: dict[str, Any] = {"total_budget_fen": 1_500_000, "max_grant_fen": 1_000_000, "min_grant_fen": 200_000}
    settings.update(call_overrides)
    call = make_call(app, body, Phase.CLOSED, title="2026 结果测试", **settings)
    groups = [make_group(app, f"owner{i}@example.org", name=f"互助队{i}") for i in range(proposals)]
    made = [make_submitted_proposal(app, call, group, title=f"项目{i}", screening=Screening.ELIGIBLE)["proposal_id"]
            for i, group in enumerate(groups)]
    members = [add_member(app, call, make_expert(app, body, f"r{j}@example.org")) for j in range(reviewers)]
    world = World(body=body, call=call, proposals=made, groups=groups, members=members)
    for i, proposal in enumerate(made):
        for j, member in enumerate(members):
            world.assignments[(i, j)] = assign(app, proposal, member)
    with app.app_context():
        db.session.get(Call, call).phase = Phase.REVIEW
        db.session.commit()
    seal_versions(app)
    return world


def submit_review(app: Flask, assignment_id: int, *scores: str | int | Decimal) -> None:
    """The reviewer submits through the review service: one score per criterion, in rubric order."""
    with app.test_request_context():
        assignment = db.session.get(Assignment, assignment_id)
        user = db.session.get(User, assignment.member.expert.user_id)
        criteria = list(assignment.proposal.call.criteria)
        reviews.submit(db.session, user, assignment, {str(c.id): str(s) for c, s in zip(criteria, scores, strict=True)},
                       {str(c.id): REASON for c in criteria}, "继续加油", "内部备注",
                       reviews.current_lock(assignment))
        db.session.commit()


# The hand-computed table: criteria 需求 (weight 40, max 10) and 可行性 (60, max 10).
TABLE = {
    0: [(8, 9), (7, 8), (9, 9)],  # totals 86, 76, 90 → 84.00; means 8.00, 8.67
    1: [(6, 7), (5, 6), (7, 7)],  # 66, 56, 70 → 64.00; means 6.00, 6.67
    2: [(4, 5), (5, 5), (1, 1)],  # 46, 50, 10 → 35.33 (below the minimum of 60); spread 40: reviewers disagree
}


def review_table(app: Flask, world: World, skip: tuple[tuple[int, int], ...] = ()) -> None:
    for i, rows in TABLE.items():
        if i >= len(world.proposals):
            continue
        for j, scores in enumerate(rows):
            if (i, j) not in skip and (i, j) in world.assignments:
                submit_review(app, world.assignments[(i, j)], *scores)
