"""An organizer's home: their bodies and calls, and what needs them.

Counted in a fixed number of queries whatever the number of bodies, calls and
proposals: one query per kind of work, grouped by call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from venture.bodies.models import Organizer, OrganizingBody
from venture.calls.models import Call, Phase
from venture.proposals.models import Proposal, ProposalStatus, Screening
from venture.results.models import Objection, ObjectionStatus
from venture.review.models import Assignment, MemberStatus, PanelMember, Review, ReviewStatus

# Phases in which each kind of work can be done.
SCREENING_PHASES = (Phase.CLOSED,)
PANEL_PHASES = (Phase.OPEN, Phase.CLOSED, Phase.REVIEW)


@dataclass
class CallWork:
    call: Call
    phase: Phase  # as the clock has it
    to_screen: int = 0
    panel_accepted: int = 0
    panel_short: int = 0  # members still needed to reach reviewers_per_proposal
    reviews_overdue: int = 0
    objections_open: int = 0

    @property
    def needs_me(self) -> bool:
        return bool(self.to_screen or self.panel_short or self.reviews_overdue or self.objections_open)


@dataclass
class BodyWork:
    body: OrganizingBody
    calls: list[CallWork] = field(default_factory=list)

    @property
    def needs_me(self) -> int:
        return sum(1 for c in self.calls if c.needs_me)


def _grouped(session: Session, query: Any) -> dict[int, int]:
    return {call_id: int(count) for call_id, count in session.execute(query).all()}


def organizer_home(session: Session, user: Any, now: datetime) -> list[BodyWork]:
    """The bodies ``user`` organizes for, each with its calls (those needing
    work first) and the counts of what waits for them."""
    bodies = session.scalars(select(OrganizingBody).join(Organizer, Organizer.body_id == OrganizingBody.id)
                             .where(Organizer.user_id == user.id).order_by(OrganizingBody.name)).all()
    if not bodies:
        return []
    calls = session.scalars(select(Call).where(Call.body_id.in_([b.id for b in bodies]))
                            .order_by(Call.closes_at.desc(), Call.id.desc())).all()
    ids = [c.id for c in calls]
    work = {c.id: CallWork(call=c, phase=c.effective_phase(now)) for c in calls}
    if ids:
        to_screen = _grouped(session, select(Proposal.call_id, func.count(Proposal.id)).where(
            Proposal.call_id.in_(ids), Proposal.status == ProposalStatus.SUBMITTED,
            Proposal.screening == Screening.PENDING).group_by(Proposal.call_id))
        accepted = _grouped(session, select(PanelMember.call_id, func.count(PanelMember.id)).where(
            PanelMember.call_id.in_(ids), PanelMember.status == MemberStatus.ACCEPTED)
            .group_by(PanelMember.call_id))
        overdue = _grouped(session, select(PanelMember.call_id, func.count(Assignment.id))
                           .join(PanelMember, Assignment.member_id == PanelMember.id)
                           .join(Call, Call.id == PanelMember.call_id)
                           .outerjoin(Review, Review.assignment_id == Assignment.id)
                           .where(PanelMember.call_id.in_(ids), Call.phase == Phase.REVIEW,
                                  Call.review_due_at.is_not(None), Call.review_due_at < now,
                                  Assignment.ended_at.is_(None),
                                  or_(Review.id.is_(None), Review.status != ReviewStatus.SUBMITTED))
                           .group_by(PanelMember.call_id))
        objections = _grouped(session, select(Objection.call_id, func.count(Objection.id)).where(
            and_(Objection.call_id.in_(ids), Objection.status == ObjectionStatus.OPEN))
            .group_by(Objection.call_id))
        for call_id, item in work.items():
            if item.phase in SCREENING_PHASES:
                item.to_screen = to_screen.get(call_id, 0)
            item.panel_accepted = accepted.get(call_id, 0)
            if item.phase in PANEL_PHASES:
                item.panel_short = max(0, item.call.reviewers_per_proposal - item.panel_accepted)
            item.reviews_overdue = overdue.get(call_id, 0)
            item.objections_open = objections.get(call_id, 0)
    found = {b.id: BodyWork(body=b) for b in bodies}
    for item in work.values():
        found[item.call.body_id].calls.append(item)
    for body in found.values():
        body.calls.sort(key=lambda c: not c.needs_me)  # stable: newest first within each half
    return list(found.values())
