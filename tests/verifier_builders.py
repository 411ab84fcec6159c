"""A whole call made through the services people use, from the panel draw to
the final result, so that everything the public may check is there: a
discarded draw, a ceremony draw with witnesses, a replacement after a
decline, a trimmed and normalised mean over six reviewers, a review not
counted for a conflict found late, an ineligible proposal, an upheld
objection acted on, and the final record with its change."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.builders import make_body, make_call, make_group
from tests.conftest import make_user
from tests.review_builders import make_expert, make_submitted_proposal
from venture.accounts.models import User
from venture.calls import services as calls
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups.models import Group
from venture.panels import conflicts
from venture.panels import services as panels
from venture.proposals.models import Proposal, ProposalVersion
from venture.results import objections
from venture.results import services as results
from venture.review import services as reviews
from venture.review.models import Assignment, MemberStatus, PanelMember
from venture.screening import services as screening

ORGANIZER = "organizer@example.org"
RESIDENT = "resident@example.org"
EXPERTS = {f"e{i}@example.org": areas for i, areas in enumerate(
    [("finance",), ("finance", "law"), ("social_work",), ("social_work", "elderly_care"), ("law",),
     ("elderly_care",), ("social_work",), ("community_governance",)])}
WITNESSES = [panels.Witness("陈监督", "区民政局监督科", "2718"), panels.Witness("林代表", "居民代表", "幸福里 88")]
REASON = "理由充分，说明了评分依据。"
CHANGE_REASON = "采纳异议：第三名项目按核减后的金额资助。"


@dataclass
class Checkable:
    call: int
    proposals: list[int]
    ineligible: int
    groups: list[int]
    members: list[int] = field(default_factory=list)


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _points(proposal_index: int, member_index: int) -> tuple[str, str]:
    """Points on 需求 (40, of 10) and 可行性 (60, of 10): reviewers differ in how lenient they are."""
    base = [(8.5, 9.0), (7.0, 7.5), (7.0, 7.5), (5.0, 5.5)][proposal_index]
    lenient = [0.0, 0.5, -0.5, 1.0, -1.0, 0.5, 0.0, -0.5][member_index]
    return (str(max(0.0, min(10.0, base[0] + lenient))), str(max(0.0, min(10.0, base[1] + lenient))))


def make_checkable_call(app: Flask, finalise: bool = True, notice: bool = True) -> Checkable:
    """The call, up to its final result (or its notice, or – ``notice=False`` – the end of its review)."""
    for email in (ORGANIZER, RESIDENT, *EXPERTS):
        make_user(app, email, name=email.split("@")[0])
    owners = [f"owner{i}@example.org" for i in range(5)]
    for email in owners:
        make_user(app, email)
    body = make_body(app, ORGANIZER)
    for email, areas in EXPERTS.items():
        make_expert(app, body, email, expertise=areas)
    call_id = make_call(app, body, Phase.OPEN, title="2026 可核验的微民生项目", aggregation_method="trimmed",
                        normalise_scores=True, reviewers_per_proposal=5, total_budget_fen=2_500_000,
                        max_grant_fen=1_000_000, min_grant_fen=200_000, tie_criterion_position=2)
    groups = [make_group(app, email, name=f"可核验互助队{i}") for i, email in enumerate(owners)]
    made = [make_submitted_proposal(app, call_id, group, title=f"项目{i}")["proposal_id"]
            for i, group in enumerate(groups)]
    with app.test_request_context():
        session = db.session
        # Proposal 2 was first submitted before proposal 1 (the tie-break's last input).
        first = session.scalar(select(ProposalVersion).where(ProposalVersion.proposal_id == made[2]))
        first.submitted_at = first.submitted_at - timedelta(minutes=5)
        session.commit()
    with app.test_request_context():
        session = db.session
        call = session.get(Call, call_id)
        organizer = _user(ORGANIZER)
        # A draw made, then discarded before anyone answered; then the real one.
        panels.prepare_draw(session, organizer, call)
        discarded = panels.draw(session, organizer, call, 2, {}, WITNESSES[:1])
        panels.discard_draw(session, organizer, discarded, "抽取人数填错，应为六人。")
        panels.prepare_draw(session, organizer, call)
        panels.draw(session, organizer, call, 6, {"finance": 1, "law": 1}, WITNESSES)
        session.commit()
    with app.test_request_context():
        session = db.session
        call = session.get(Call, call_id)
        call.phase = Phase.CLOSED
        organizer = _user(ORGANIZER)
        for index, proposal_id in enumerate(made):
            proposal = session.get(Proposal, proposal_id)
            if index == 4:
                screening.screen(session, organizer, proposal, False, "申请金额超出上限。", category="amount")
            else:
                screening.screen(session, organizer, proposal, True, "符合申报条件，材料齐全。")
        # One drawn expert declines: a replacement is drawn from the same draw's seed.
        drawn = panels.members_of(session, call)
        declining = next(m for m in drawn if m.status is MemberStatus.INVITED)
        panels.respond(session, declining.expert.user, declining, accept=False)
        for member in panels.members_of(session, call):
            if member.status is MemberStatus.INVITED:
                panels.respond(session, member.expert.user, member, accept=True)
        for member in panels.members_of(session, call):
            if member.status is MemberStatus.ACCEPTED:
                conflicts.declare(session, member.expert.user, member, [], True)
        calls.transition(session, organizer, call, Phase.REVIEW)
        panels.assign_call(session, organizer, call)
        session.commit()
    eligible = made[:4]
    with app.test_request_context():
        session = db.session
        members = [m.id for m in panels.members_of(session, session.get(Call, call_id))
                   if m.status is MemberStatus.ACCEPTED]
    _submit_all(app, eligible, members)
    with app.test_request_context():
        session = db.session
        # A tie found late: that member's review of proposal 0 no longer counts, and the proposal goes to
        # the one member who was not reviewing it.
        reviewing = session.scalar(select(Assignment.member_id).where(Assignment.proposal_id == eligible[0],
                                                                      Assignment.ended_at.is_(None))
                                   .order_by(Assignment.id).limit(1))
        member = session.get(PanelMember, reviewing)
        group = session.get(Group, groups[0])
        conflicts.add_by_organizer(session, _user(ORGANIZER), member, group, "该专家曾任该组织顾问。")
        session.commit()
    _submit_all(app, eligible, members)
    world = Checkable(call=call_id, proposals=eligible, ineligible=made[4], groups=groups, members=members)
    if not notice:
        return world
    with app.test_request_context():
        session = db.session
        call = session.get(Call, call_id)
        opened = utcnow() - timedelta(days=8)
        results.open_notice(session, _user(ORGANIZER), call, now=opened)
        session.commit()
    if finalise:
        finalise_checkable(app, call_id, eligible)
    return world


def _submit_all(app: Flask, proposals: list[int], members: list[int]) -> None:
    """Every live assignment without a submitted review gets one."""
    with app.test_request_context():
        session = db.session
        live = session.scalars(select(Assignment).where(Assignment.proposal_id.in_(proposals),
                                                        Assignment.ended_at.is_(None))
                               .order_by(Assignment.id)).all()
        for assignment in live:
            if assignment.review is not None and assignment.review.versions:
                continue
            user = session.get(User, assignment.member.expert.user_id)
            criteria = list(assignment.proposal.call.criteria)
            points = _points(proposals.index(assignment.proposal_id), members.index(assignment.member_id))
            reviews.submit(session, user, assignment, {str(c.id): p for c, p in zip(criteria, points, strict=True)},
                           {str(c.id): REASON for c in criteria}, "继续加油", "内部备注",
                           reviews.current_lock(assignment))
        session.commit()


def finalise_checkable(app: Flask, call_id: int, eligible: list[int]) -> None:
    """An upheld objection lowers the third line's amount; the final record lists the change."""
    with app.test_request_context():
        session = db.session
        call = session.get(Call, call_id)
        organizer = _user(ORGANIZER)
        record = results.record_of(session, call, results.ResultStage.PROPOSED)
        third = next(line for line in record.content["lines"] if line["rank"] == 3)
        objection = objections.lodge(session, _user(RESIDENT), call, "第三名的项目预算偏高，建议核减后资助，"
                                     "这样预算也够用。", third["number"], now=call.notice_opened_at + timedelta(days=1))
        objections.answer(session, organizer, objection, "异议成立：按核减后的金额资助。", upheld=True,
                          now=call.notice_opened_at + timedelta(days=2))
        proposal = session.get(Proposal, third["proposal"])
        results.adjust(session, organizer, proposal, 500_000, False, "按异议核减预算。", objection=objection)
        results.finalise(session, organizer, call, {third["proposal"]: CHANGE_REASON},
                         now=call.notice_ends_at + timedelta(hours=1))
        session.commit()


def record_ids(app: Flask, call_id: int) -> dict[str, Any]:
    from venture.results.models import ResultRecord

    with app.app_context():
        return {r.stage.value: r.id for r in db.session.scalars(select(ResultRecord)
                                                                 .where(ResultRecord.call_id == call_id))}
