"""Builders for the public side of results: a call with three submitted
proposals, two submitted reviews of the first, and frozen result records
written directly (the public pages render only from them)."""
from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group
from tests.conftest import make_user
from tests.review_builders import add_member, assign, make_expert, make_submitted_proposal
from tests.results_builders import seal_objection
from venture.calls.models import Call, Criterion, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.proposals.models import Screening
from venture.results.models import Objection, ObjectionStatus, ResultRecord, ResultStage
from venture.review.models import Review, ReviewStatus, ReviewVersion

GROUP_A = "幸福里邻里互助队"
GROUP_B = "=HYPERLINK(\"http://evil.example\")"  # a name a spreadsheet would run
GROUP_C = "越秀青年志愿队"
TITLE_A = "长者助餐点"
TITLE_B = "@SUM(1+1) 邻里课堂"
TITLE_C = "儿童托管"
CONFIDENTIAL = "CONFIDENTIAL-NOTE: 我认识这个团队"
REVIEWER_NAMES = ("王评审", "李评审")
HEAD = "ab" * 32


def line(rank: int, proposal: int, number: str, title: str, group: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "rank": rank, "proposal": proposal, "number": number, "title": title, "group": group,
        "group_kind": "grassroots", "theme": "长者关爱", "district": "天河区", "request_fen": 1_000_000,
        "amount_fen": 0, "outcome": "below_minimum", "score": "55.00", "component": None, "final": "55.00",
        "criteria_means": {"1": "5.50", "2": "5.50"}, "reviews": 3, "missing": 0, "notes": [], "adjustment": None,
    }
    values.update(overrides)
    return values


def content_for(ids: dict[str, Any], stage: str = "proposed", changes: list[dict[str, Any]] | None = None,
                ) -> dict[str, Any]:
    return {
        "call": ids["call_id"], "stage": stage, "computed_at": utcnow().isoformat(),
        "method": {"name": "trimmed", "normalise": True, "component_weight": "0.00", "component_label": "",
                   "minimum_score": "60.00", "budget_fen": 20_000_000, "reviewers_per_proposal": 3,
                   "disagreement_threshold": "20.00", "tie_criterion": {"position": 2, "name": "可行性"}},
        "criteria": [{"position": 1, "name": "需求", "weight": 40, "max_points": "10.00"},
                     {"position": 2, "name": "可行性", "weight": 60, "max_points": "10.00"}],
        "lines": [
            line(1, ids["proposal_a"], ids["number_a"], TITLE_A, GROUP_A, amount_fen=800_000, outcome="funded",
                 score="85.50", final="85.50", criteria_means={"1": "8.50", "2": "8.60"}, notes=["trimmed"],
                 adjustment={"amount_fen": 800_000, "set_aside": False, "reason": "设备费偏高，按八成资助"},
                 secret_for_organizers="DISAGREEMENT-FLAG"),
            line(2, ids["proposal_b"], ids["number_b"], TITLE_B, GROUP_B, score="55.00", final="55.00"),
            line(3, ids["proposal_c"], ids["number_c"], TITLE_C, GROUP_C, theme="儿童成长", district="越秀区",
                 outcome="set_aside", score="72.25", final="72.25", criteria_means={"1": "7.00", "2": "7.40"},
                 adjustment={"amount_fen": None, "set_aside": True, "reason": "与区级项目重复资助"}),
        ],
        "totals": {"funded": 1, "amount_fen": 800_000, "budget_fen": 20_000_000, "proposals": 3},
        "changes": changes or [],
        "reviewer_stats": {"1": {"mean": "80"}},  # organizer-only: never shown in public
    }


def add_record(app: Flask, ids: dict[str, Any], stage: ResultStage = ResultStage.PROPOSED,
               content: dict[str, Any] | None = None) -> int:
    with app.app_context():
        record = ResultRecord(call_id=ids["call_id"], stage=stage,
                              content=copy.deepcopy(content or content_for(ids, stage.value)),
                              fingerprint="f" * 64, chain_seq=41, chain_head=HEAD)
        db.session.add(record)
        db.session.commit()
        return record.id


def set_phase(app: Flask, call_id: int, phase: Phase, notice_left: timedelta = timedelta(days=6)) -> None:
    with app.app_context():
        call = db.session.get(Call, call_id)
        call.phase = phase
        now = utcnow()
        if phase in (Phase.NOTICE, Phase.PUBLISHED):
            call.notice_opened_at = now - timedelta(days=1)
            call.notice_ends_at = now + notice_left
        if phase is Phase.PUBLISHED:
            call.notice_ends_at = now - timedelta(hours=1)
            call.results_published_at = now
        db.session.commit()


def _review(app: Flask, assignment_id: int, criteria: list[Criterion], scores: tuple[str, str],
            reasons: tuple[str, str], comment: str, total: str) -> None:
    with app.app_context():
        content = {"criteria": [{"id": c.id, "score": s, "reason": r} for c, s, r in zip(criteria, scores, reasons,
                                                                                         strict=True)],
                   "comment": comment, "note": CONFIDENTIAL, "total": total}
        review = Review(assignment_id=assignment_id, status=ReviewStatus.SUBMITTED,
                        scores={str(c.id): s for c, s in zip(criteria, scores, strict=True)},
                        reasons={str(c.id): r for c, r in zip(criteria, reasons, strict=True)},
                        comment_to_applicant=comment, note_to_organizer=CONFIDENTIAL, submitted_at=utcnow(),
                        version_count=1)
        db.session.add(review)
        db.session.flush()
        db.session.add(ReviewVersion(review_id=review.id, version_no=1, submitted_at=utcnow(), content=content,
                                     total=Decimal(total), fingerprint="0" * 64))
        db.session.commit()


def make_results_world(app: Flask, phase: Phase = Phase.NOTICE, record: bool = True) -> dict[str, Any]:
    """Users (organizer, other_organizer, owner, member, other_owner, resident,
    unverified, two reviewers), a body, a call in ``phase`` with three
    submitted proposals, two submitted reviews of the first, and (unless
    ``record`` is false) the proposed result record."""
    for email in ("organizer@example.org", "other_organizer@example.org", "owner@example.org",
                  "member@example.org", "other_owner@example.org", "third@example.org"):
        make_user(app, email)
    make_user(app, "resident@example.org", name="Objecting Resident")
    make_user(app, "unverified@example.org", verified=False)
    for email, name in zip(("reviewer1@example.org", "reviewer2@example.org"), REVIEWER_NAMES, strict=True):
        make_user(app, email, name=name)
    body = make_body(app, "organizer@example.org")
    make_body(app, "other_organizer@example.org", name="Other body")
    call_id = make_call(app, body, Phase.CLOSED, title="2026 幸福社区微民生项目")
    group_a = make_group(app, "owner@example.org", members=("member@example.org",))
    group_b = make_group(app, "other_owner@example.org", name="Other team")
    group_c = make_group(app, "third@example.org", name=GROUP_C)
    ids: dict[str, Any] = {"body_id": body, "call_id": call_id, "group_a": group_a, "group_b": group_b}
    for key, group, title in (("a", group_a, TITLE_A), ("b", group_b, "邻里课堂"), ("c", group_c, TITLE_C)):
        made = make_submitted_proposal(app, call_id, group, title=title, screening=Screening.ELIGIBLE)
        ids[f"proposal_{key}"] = made["proposal_id"]
    with app.app_context():
        from venture.proposals.models import Proposal

        for key in ("a", "b", "c"):
            ids[f"number_{key}"] = db.session.get(Proposal, ids[f"proposal_{key}"]).number
        criteria = list(db.session.scalars(select(Criterion).where(Criterion.call_id == call_id)
                                           .order_by(Criterion.position)))
        for criterion in criteria:
            db.session.expunge(criterion)
    members = []
    for email in ("reviewer1@example.org", "reviewer2@example.org"):
        expert = make_expert(app, body, email)
        members.append(add_member(app, call_id, expert))
    ids["members"] = members
    first = assign(app, ids["proposal_a"], members[0])
    second = assign(app, ids["proposal_a"], members[1])
    _review(app, first, criteria, ("8.5", "9"), ("需求调研扎实", "执行计划清楚"), "建议细化食材采购预算", "87.40")
    _review(app, second, criteria, ("7", "8"), ("覆盖面可以更广", "志愿者安排合理"), "", "76.00")
    set_phase(app, call_id, Phase.REVIEW)
    if record:
        ids["record_id"] = add_record(app, ids)
    if phase is not Phase.REVIEW:
        set_phase(app, call_id, phase)
    return ids


def add_objection(app: Flask, ids: dict[str, Any], email: str = "resident@example.org",
                  text: str = "第二名的评分明显偏低，请说明理由。", proposal: int | None = None,
                  answer: str = "", status: ObjectionStatus = ObjectionStatus.OPEN) -> int:
    with app.app_context():
        from venture.accounts.models import User

        author = db.session.scalar(select(User).where(User.email == email))
        objection = Objection(call_id=ids["call_id"], proposal_id=proposal, author_id=author.id, text=text,
                              status=status, answer=answer, answered_at=utcnow() if answer else None)
        db.session.add(objection)
        db.session.flush()
        seal_objection(objection)
        db.session.commit()
        return objection.id
