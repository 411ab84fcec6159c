"""Demo data for the review stage and the results, made through the same
services people use: expert profiles, screening, a drawn panel with a decline
and its replacement, declared and derived conflicts, assignments, finished and
draft reviews; one earlier call whose result is published and one in its
public notice with an objection and its answer."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.bodies.models import OrganizingBody, PoolExpert
from venture.calls import services as calls
from venture.calls.models import Call, CallKind, Phase
from venture.core.timeutil import utcnow
from venture.groups.models import Group, MemberRole
from venture.panels import conflicts
from venture.panels import services as panels
from venture.proposals import services as proposals
from venture.proposals.models import Proposal
from venture.results import objections
from venture.results import services as results
from venture.review import services as reviews
from venture.review.models import Assignment, MemberStatus
from venture.screening import services as screening

# handle -> (areas, affiliations)
PROFILES: dict[str, tuple[list[str], list[dict[str, str]]]] = {
    "reviewer": (["finance", "project_management"],
                 [{"name": "广州市某会计师事务所", "credit_code": "", "relation": "employer", "note": "", "years": ""}]),
    "reviewer2": (["social_work", "community_governance"],
                  [{"name": "幸福里社区邻里互助队", "credit_code": "", "relation": "tie", "note": "督导顾问",
                    "years": "2024–"}]),
    "reviewer3": (["law"], []),
    "reviewer4": (["education", "children_youth"], []),
    "reviewer5": (["finance"], []),
    "reviewer6": (["elderly_care", "social_work"], []),
    "reviewer7": (["community_governance", "environment"], []),
}

REASONS = [
    "需求调研扎实，引用了社区走访数据，目标人群清楚。",
    "活动安排具体可行，但志愿者排班需要再细化。",
    "居民参与设计较好，建议增加居民议事环节。",
    "Budget lines are reasonable and match the planned activities.",
    "Clear outcomes; the follow-up after the project ends is thin.",
]
COMMENTS = ["方案清楚，建议补充风险应对。", "A solid plan; please show how volunteers are recruited."]
# Who watched the demo's draws, and the values they chose.
WITNESSES = [panels.Witness("陈监督", "区民政局监督科 / District civil-affairs supervision", "2718"),
             panels.Witness("林代表", "居民代表 / Residents' representative", "幸福里 88")]


def _profile(session: Session, body: OrganizingBody, users: dict[str, User]) -> None:
    for handle, (areas, affiliations) in PROFILES.items():
        user = users[handle]
        expert = session.scalar(select(PoolExpert).where(PoolExpert.body_id == body.id,
                                                         PoolExpert.user_id == user.id))
        if expert is None:
            expert = PoolExpert(body_id=body.id, user_id=user.id)
            session.add(expert)
        expert.expertise = areas
        expert.affiliations = affiliations
        expert.available = True
        expert.profile_updated_at = utcnow()
    session.flush()


def _screen(session: Session, organizer: User, call: Call, ineligible: int | None = None) -> None:
    for index, proposal in enumerate(screening.submitted_proposals(session, call)):
        if index == ineligible:
            screening.screen(session, organizer, proposal, False,
                             "预算超出本期资助上限，且缺少居委会备案证明。/ Over the grant ceiling; no filing proof.",
                             category="amount")
        else:
            screening.screen(session, organizer, proposal, True, "符合申报条件，材料齐全。/ Meets every published condition.")


def _panel(session: Session, organizer: User, call: Call, users: dict[str, User], size: int,
           decline: bool) -> None:
    """Draw, have one member decline (a replacement is drawn), make sure the
    demo reviewer sits on it, accept and declare."""
    panels.prepare_draw(session, organizer, call)
    panels.draw(session, organizer, call, size, {"finance": 1, "social_work": 1}, WITNESSES)
    members = panels.members_of(session, call)
    if decline:
        keep = {users[h].id for h in ("reviewer", "reviewer2", "reviewer4")}
        leaving = next((m for m in members if m.expert.user_id not in keep), None)
        if leaving is not None:
            panels.respond(session, leaving.expert.user, leaving, accept=False)
    # The draw is random; the demo wants its reviewer (and, under review, the
    # experts whose conflicts it shows) on the panel, so they are added by hand if not drawn.
    wanted = ["reviewer", "reviewer2", "reviewer4"] if decline else ["reviewer"]
    for handle in wanted:
        if any(m.expert.user_id == users[handle].id for m in panels.members_of(session, call)):
            continue
        expert = session.scalar(select(PoolExpert).where(PoolExpert.body_id == call.body_id,
                                                         PoolExpert.user_id == users[handle].id))
        panels.add_manual(session, organizer, call, expert, "演示：固定加入 / added by hand for the demo")
    for member in panels.members_of(session, call):
        if member.status is MemberStatus.INVITED:
            panels.respond(session, member.expert.user, member, accept=True)
    applicants = conflicts.applicant_groups(session, call)
    for member in panels.members_of(session, call):
        if member.status is not MemberStatus.ACCEPTED:
            continue
        user = member.expert.user
        if user.id == users["reviewer4"].id and applicants:
            group_id, _name = applicants[-1]
            conflicts.declare(session, user, member, [group_id], False, {group_id: "曾为该组织做过志愿培训"})
        else:
            conflicts.declare(session, user, member, [], True)


def _score(session: Session, assignment: Assignment, rng: random.Random, submit: bool, when: datetime) -> None:
    call = assignment.proposal.call
    user = assignment.member.expert.user
    quality = rng.uniform(0.45, 0.95)
    scores, reasons = {}, {}
    for criterion in call.criteria:
        top = Decimal(criterion.max_points)
        raw = Decimal(round(float(top) * min(1.0, max(0.0, rng.gauss(quality, 0.08))) * 2)) / 2
        scores[str(criterion.id)] = str(min(top, raw))
        reasons[str(criterion.id)] = rng.choice(REASONS)
    comment = rng.choice(COMMENTS)
    if submit:
        reviews.submit(session, user, assignment, scores, reasons, comment, "", reviews.current_lock(assignment),
                       now=when)
    else:
        half = dict(list(scores.items())[: max(1, len(scores) // 2)])
        reviews.save_draft(session, user, assignment, half, {k: reasons[k] for k in half}, "", "",
                           reviews.current_lock(assignment), now=when)


def _assignments(session: Session, call: Call) -> list[Assignment]:
    return list(session.scalars(select(Assignment).join(Proposal, Assignment.proposal_id == Proposal.id)
                                .where(Proposal.call_id == call.id, Assignment.ended_at.is_(None))
                                .order_by(Assignment.id)))


def review_stage(session: Session, organizer: User, call: Call, users: dict[str, User], body: OrganizingBody,
                 rng: random.Random) -> None:
    """The closed micro-livelihood call goes into review: half the reviews in."""
    _profile(session, body, users)
    _screen(session, organizer, call, ineligible=3)
    _panel(session, organizer, call, users, size=5, decline=True)
    calls.transition(session, organizer, call, Phase.REVIEW)
    panels.set_review_due(session, organizer, call, utcnow() + timedelta(days=12))
    panels.assign_call(session, organizer, call)
    now = utcnow()
    for index, assignment in enumerate(_assignments(session, call)):
        state = index % 5
        if state in (0, 1, 2):
            _score(session, assignment, rng, submit=True, when=now - timedelta(hours=index))
        elif state == 3:
            _score(session, assignment, rng, submit=False, when=now - timedelta(hours=index))


def _past_call(session: Session, organizer: User, body: OrganizingBody, title: str, closed_days_ago: int,
               groups: list[Group], rng: random.Random) -> Call:
    from venture.demo.calls import DISTRICTS, THEMES_ML, _draft, _pdf

    now = utcnow()
    closes = now - timedelta(days=closed_days_ago)
    call = calls.create_call(session, organizer, body, calls.CallRules(
        kind=CallKind.MICRO_LIVELIHOOD, title=title,
        summary="小额资助居民团队解决身边的小事。Small grants for residents' own projects.",
        text_markdown="每个项目资助 2,000 至 30,000 元。", themes=THEMES_ML, districts=DISTRICTS,
        allow_registered=True, allow_grassroots=True, total_budget_fen=8_000_000, min_grant_fen=200_000,
        max_grant_fen=3_000_000, opens_at=closes - timedelta(days=30), closes_at=closes, timezone="Asia/Shanghai",
        sections=calls.default_sections(CallKind.MICRO_LIVELIHOOD),
        required_attachments=[{"key": "a1", "title": "预算明细"}],
        reviewers_per_proposal=3, min_fundable_score=Decimal(60), notice_days=7,
        criteria=[calls.CriterionSpec("问题是否真实", 30, Decimal(10)),
                  calls.CriterionSpec("方案可行", 40, Decimal(10)),
                  calls.CriterionSpec("居民参与", 30, Decimal(10))],
        aggregation_method="mean", tie_criterion_position=2))
    calls.transition(session, organizer, call, Phase.OPEN, now=closes - timedelta(days=30))
    pdf = _pdf()
    for index, group in enumerate(groups):
        owner = next(m.user for m in group.memberships if m.role is MemberRole.OWNER)
        when = closes - timedelta(days=20 - index)
        proposal = proposals.start_proposal(session, owner, call, group, now=when)
        proposals.save_draft(session, owner, proposal, _draft(call, index + 7, rng), proposal.lock_version, now=when)
        proposals.add_attachment(session, owner, proposal, "a1", "预算明细.pdf", pdf, now=when)
        proposals.submit(session, owner, proposal, confirmed_warnings=True, now=when + timedelta(minutes=20))
    calls.close_due_calls(session, now=now)
    return call


def results_stage(session: Session, organizer: User, body: OrganizingBody, users: dict[str, User],
                  rng: random.Random) -> None:
    """Two earlier calls: one published, one in its public notice."""
    # Groups that have nothing before the call under review, so its blind review stays blind.
    groups = list(session.scalars(select(Group).where(Group.name.like("%号")).order_by(Group.id)))[22:30]
    # Published long enough ago for its funded projects to have reached their mid-term (venture.demo_projects).
    published = _past_call(session, organizer, body, "2025年幸福社区微民生项目（第二期）", 150, groups[:4], rng)
    notice = _past_call(session, organizer, body, "2026年幸福社区微民生项目（春季）", 25, groups[4:8], rng)
    for call, reviewed_days_ago, notice_days_ago in ((published, 135, 120), (notice, 12, 3)):
        _screen(session, organizer, call)
        _panel(session, organizer, call, users, size=4, decline=False)
        calls.transition(session, organizer, call, Phase.REVIEW)
        panels.assign_call(session, organizer, call)
        when = utcnow() - timedelta(days=reviewed_days_ago)
        for assignment in _assignments(session, call):
            _score(session, assignment, rng, submit=True, when=when)
        opened = utcnow() - timedelta(days=notice_days_ago)
        results.open_notice(session, organizer, call, now=opened)
        objection = objections.lodge(
            session, users["resident"], call,
            "第一名项目的场地是否已与居委会确认？如果场地落实不了，建议调整资助顺序。"
            " Has the first project's venue been confirmed with the residents' committee?",
            now=opened + timedelta(days=1))
        objections.answer(session, organizer, objection,
                          "已与居委会核实：场地由社区党群服务中心免费提供，协议已签。资助结果不变。"
                          " Checked: the community centre provides the room free of charge; the result stands.",
                          upheld=False, now=opened + timedelta(days=2))
        if call is published:
            results.finalise(session, organizer, call, {}, now=call.notice_ends_at + timedelta(hours=1))


def load(session: Session, organizer: User, body: OrganizingBody, users: dict[str, User]) -> None:
    rng = random.Random(52)
    livelihood = session.scalar(select(Call).where(Call.body_id == body.id, Call.phase == Phase.CLOSED))
    if livelihood is not None:
        review_stage(session, organizer, livelihood, users, body, rng)
    results_stage(session, organizer, body, users, rng)

