"""What the panel services share: who can review, who is in conflict with
what, and moving a member's assignments to the rest of the panel.

A member's assignments are moved when they withdraw or when a new conflict
of interest touches a proposal they hold. Only the affected assignments move
(``assign.redistribute``); everyone else's reading stays as it was. The old
rows are ended, never deleted, so the history stays readable, and the seed
that broke ties is kept on the new rows and in the audit log.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from venture.audit import services as audit
from venture.calls.models import Call
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.mail import services as mail
from venture.proposals.models import Proposal
from venture.review import assign, draw
from venture.review.expertise import FINANCE
from venture.review.models import Assignment, Conflict, MemberStatus, PanelMember, ReviewStatus


def review_submitted(assignment: Assignment) -> bool:
    """True once the member has submitted a review of it (a revision in progress still counts)."""
    review = assignment.review
    return review is not None and (review.status is ReviewStatus.SUBMITTED or review.version_count > 0)


def active_assignments(session: Session, call: Call) -> list[Assignment]:
    return list(session.scalars(
        select(Assignment).join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Proposal.call_id == call.id, Assignment.ended_at.is_(None))
        .options(joinedload(Assignment.review),
                 joinedload(Assignment.proposal).subqueryload(Proposal.versions))
        .order_by(Assignment.proposal_id, Assignment.id)))


def serving_members(session: Session, call: Call) -> list[PanelMember]:
    """Members who may be given proposals: accepted, with their conflicts declared."""
    return list(session.scalars(
        select(PanelMember).where(PanelMember.call_id == call.id, PanelMember.status == MemberStatus.ACCEPTED,
                                  PanelMember.conflicts_declared_at.is_not(None))
        .order_by(PanelMember.id)))


def reviewer(member: PanelMember) -> assign.Reviewer:
    return assign.Reviewer(member.id, FINANCE in (member.expert.expertise or []))


def conflicts_by_group(session: Session, call: Call) -> dict[int, set[int]]:
    """Group id -> ids of the call's panel members in conflict with it."""
    found: dict[int, set[int]] = {}
    rows = session.execute(select(Conflict.group_id, Conflict.member_id)
                           .join(PanelMember, PanelMember.id == Conflict.member_id)
                           .where(PanelMember.call_id == call.id))
    for group_id, member_id in rows:
        found.setdefault(group_id, set()).add(member_id)
    return found


def conflict_map(session: Session, call: Call, proposals: Iterable[Proposal]) -> dict[int, set[int]]:
    """Proposal id -> ids of the panel members in conflict with its group."""
    by_group = conflicts_by_group(session, call)
    return {p.id: set(by_group.get(p.group_id, set())) for p in proposals}


def receipt_numbers(proposals: Iterable[Proposal]) -> str:
    return ", ".join(sorted(p.number or f"#{p.id}" for p in proposals))


def notify_assigned(session: Session, member: PanelMember, count: int) -> None:
    """Tell a member they have proposals to review: a count, a date and a link; nothing about who applied."""
    user = member.expert.user
    if user.email and count > 0:
        mail.queue(session, user.email, "review_assigned", user.locale, user.timezone, call=member.call, count=count)


def notify_organizers(session: Session, call: Call, template: str, **context: Any) -> None:
    for organizer in call.body.organizers:
        if organizer.user.email:
            mail.queue(session, organizer.user.email, template, organizer.user.locale, organizer.user.timezone, call=call, **context)


@dataclass
class Redistribution:
    seed: str = ""
    moves: list[tuple[int, int]] = field(default_factory=list)  # (proposal id, new member id)
    unserved: list[Proposal] = field(default_factory=list)


def move_away(session: Session, actor: Any, member: PanelMember, items: Sequence[Assignment], cause: str,
              partial: bool = False) -> Redistribution:
    """End ``items`` (assignments of ``member``) and give each proposal another reviewer.

    Everything is worked out before anything changes. When a proposal has
    nobody left to take it, ``partial=False`` raises DomainError naming the
    receipt numbers and changes nothing; ``partial=True`` still ends that
    assignment (a conflicted reviewer must not keep it), reports it in
    ``unserved`` and e-mails the organizers.
    """
    result = Redistribution()
    if not items:
        return result
    call = member.call
    proposals = {a.proposal_id: a.proposal for a in items}
    members = {m.id: m for m in serving_members(session, call)}
    members[member.id] = member  # so the algorithm knows whether the leaver read the budgets
    live = active_assignments(session, call)
    current: dict[int, set[int]] = {}
    for row in live:
        current.setdefault(row.proposal_id, set()).add(row.member_id)
    loads = Counter(row.member_id for row in live if row.member_id in members)
    conflicts = conflict_map(session, call, proposals.values())
    reviewers = [reviewer(m) for m in members.values()]
    result.seed = draw.new_seed()
    open_items = sorted(proposals)
    while True:
        try:
            chosen = assign.redistribute(open_items, member.id, reviewers, current, conflicts, dict(loads),
                                         result.seed)
            break
        except assign.AssignmentImpossible as error:
            stuck = {problem.proposal for problem in error.problems}
            if not partial:
                raise DomainError(_l(
                    "These proposals cannot be given to another reviewer: %(numbers)s. Each needs an accepted "
                    "panel member who has declared conflicts, has no conflict with the applicant and is not "
                    "already reviewing it. Add or invite more members first; nothing was changed.",
                    numbers=receipt_numbers(proposals[p] for p in stuck))) from None
            result.unserved.extend(proposals[p] for p in sorted(stuck))
            open_items = [p for p in open_items if p not in stuck]

    now = utcnow()
    for item in items:
        item.ended_at = now
        item.ended_reason = cause[:300]
    received: Counter[int] = Counter()
    for proposal_id in sorted(chosen):
        session.add(Assignment(proposal_id=proposal_id, member_id=chosen[proposal_id], seed=result.seed))
        result.moves.append((proposal_id, chosen[proposal_id]))
        received[chosen[proposal_id]] += 1
    session.flush()
    audit.record(session, actor, "assignment.redistributed", call, seed=result.seed, leaving=member.id,
                 cause=cause, ended=sorted(a.id for a in items),
                 moves=[[p, m] for p, m in result.moves], unserved=[p.id for p in result.unserved])
    for member_id, count in sorted(received.items()):
        notify_assigned(session, members[member_id], count)
    if result.unserved:
        notify_organizers(session, call, "assignment_unserved", numbers=receipt_numbers(result.unserved))
    return result
