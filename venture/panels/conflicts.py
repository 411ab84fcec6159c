"""Conflicts of interest (利益冲突) between panel members and applicant groups.

Before a member sees any proposal they go through the names of the groups
that applied to the call (names only, sorted, never linked to a proposal)
and tick the ones they have a tie with, or confirm they have none. Ties are
also found from the facts: an affiliation in the member's profile whose name
or credit code matches a group, or membership of the group on this site. An
organizer may add one too.

Conflicts follow the facts. Every service that changes one of their inputs
(someone joins or leaves a group, a group changes its name or credit code,
an expert edits their affiliations, a group submits a proposal) calls
``rederive``, which stores the ties the facts now show for every panel member
concerned and closes at once each live assignment that has become
conflicted: the proposal goes to another member (``redistribution``), a
review already given stops counting (``results.services`` never counts the
review of a member in conflict with the group) and is recorded as set aside,
and everything is audited. The same call records organizers' ties
(``recusal``). The access rule (``permissions.assignment_open``) decides from
the stored conflicts and from the facts as they are at that moment
(``tie_with``), so a service that forgot to call ``rederive`` still fails
closed. Conflicts are only ever added, never removed: a member who leaves a
group stays in conflict with it.

A declaration is applied whole: the ties it ticks and those the facts show
are stored together, and the assignments they touch move in one
redistribution, once the declaration is sent complete. Nothing moves while
it is being filled in, and no page says which proposal moved.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from venture.audit import services as audit
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Phase
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.groups.models import Group
from venture.panels import redistribution
from venture.panels.redistribution import Redistribution
from venture.panels.ties import (  # noqa: F401 (read-only questions, asked by the access rules too)
    MIN_CONTAINED_LENGTH,
    _applicants,
    _code,
    _sha256,
    affiliations_of,
    applicant_groups,
    conflicted_groups,
    conflicted_now,
    conflicts_of,
    memberships_of,
    names_match,
    normalise_name,
    tie_with,
)
from venture.proposals.models import Proposal, ProposalStatus
from venture.review.models import Assignment, Conflict, ConflictSource, MemberStatus, PanelMember

REASON_LIMIT = 500
# Phases in which a newly found tie still changes something: from applying
# until the final result (in the notice it changes which reviews count).
RUNNING_PHASES = frozenset({Phase.OPEN, Phase.CLOSED, Phase.REVIEW, Phase.NOTICE})
ON_PANEL = (MemberStatus.INVITED, MemberStatus.ACCEPTED)


def found_ties(session: Session, member: PanelMember) -> dict[int, ConflictSource]:
    """Group id -> how the tie shows, for applicant groups the member's profile or
    memberships tie them to. Reads only; ``derive`` stores them."""
    expert = member.expert
    affiliations = affiliations_of(expert)
    member_of = memberships_of(session, expert.user_id)
    found: dict[int, ConflictSource] = {}
    for group in _applicants(session, member.call):
        source = tie_with(group, affiliations, member_of)
        if source is not None:
            found[group.id] = source
    return found


def _add(session: Session, actor: Any, member: PanelMember, group_id: int, source: ConflictSource,
         reason: str = "") -> Conflict:
    conflict = Conflict(member_id=member.id, group_id=group_id, source=source, reason=reason[:REASON_LIMIT],
                        created_by_id=getattr(actor, "id", None))
    session.add(conflict)
    session.flush()
    return conflict


def _store_found(session: Session, actor: Any, member: PanelMember, cause: str | None) -> list[Conflict]:
    """Store the ties the facts show that are not recorded yet, each audited."""
    have = conflicted_groups(session, member)
    added = []
    for group_id, source in sorted(found_ties(session, member).items()):
        if group_id in have:
            continue
        conflict = _add(session, actor, member, group_id, source)
        facts: dict[str, Any] = dict(member=member.id, group=group_id, source=source.value)
        if cause:
            facts["cause"] = cause
        audit.record(session, actor, "conflict.derived", conflict, **facts)
        added.append(conflict)
    return added


def close_conflicted(session: Session, actor: Any, member: PanelMember) -> Redistribution:
    """End, all at once, every live assignment of the member's whose group they
    are in conflict with, and give the proposals to others.

    A conflicted review must not count, so this happens even when the review
    was already submitted (it is recorded as set aside, for the conflict), and
    even when nobody can take the proposal (the organizers are then told).
    After the review (during the notice) the assignment only ends; once the
    result is final, nothing changes."""
    groups = conflicted_groups(session, member) if member.call.phase in RUNNING_PHASES else set()
    if not groups:
        return Redistribution()
    hit = list(session.scalars(
        select(Assignment).join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Assignment.member_id == member.id, Assignment.ended_at.is_(None), Proposal.group_id.in_(sorted(groups)))
        .options(joinedload(Assignment.review), joinedload(Assignment.proposal))
        .order_by(Assignment.id)))
    if not hit:
        return Redistribution()
    for assignment in hit:
        if redistribution.review_submitted(assignment):
            audit.record(session, actor, "review.set_aside", assignment.review, assignment=assignment.id,
                         proposal=assignment.proposal_id, member=member.id, reason="conflict")
    if member.call.phase is Phase.REVIEW:
        return redistribution.move_away(session, actor, member, hit, "conflict", partial=True)
    now = utcnow()
    for assignment in hit:
        assignment.ended_at = now
        assignment.ended_reason = "conflict"
    session.flush()
    audit.record(session, actor, "assignment.ended", member.call, member=member.id, cause="conflict",
                 ended=sorted(a.id for a in hit))
    return Redistribution()


def derive(session: Session, member: PanelMember, actor: Any = None, cause: str | None = None) -> list[Conflict]:
    """Store the ties the profile and memberships show and close what they
    touch; idempotent. Returns the new conflicts."""
    added = _store_found(session, actor, member, cause)
    close_conflicted(session, actor, member)
    return added


def rederive(session: Session, actor: Any, cause: str, *, users: Iterable[int] = (), experts: Iterable[int] = (),
             groups: Iterable[int] = ()) -> list[Conflict]:
    """Derive conflicts again after one of their inputs changed: for the panel
    members who are these users or experts, and for every member of a panel of
    a call these groups applied to (calls from open to the public notice), and
    record the organizers' ties the same facts show (``recusal.rederive``).
    Called by every service that changes an input; ``cause`` names the change
    in the audit log. Returns the new conflicts."""
    from venture.panels import recusal

    users, experts, groups = set(users), set(experts), set(groups)
    if not (users or experts or groups):
        return []
    concerned = []
    if users:
        concerned.append(PoolExpert.user_id.in_(sorted(users)))
    if experts:
        concerned.append(PanelMember.expert_id.in_(sorted(experts)))
    if groups:
        concerned.append(PanelMember.call_id.in_(
            select(Proposal.call_id).where(Proposal.group_id.in_(sorted(groups)),
                                           Proposal.status == ProposalStatus.SUBMITTED, Proposal.version_count > 0)))
    members = session.scalars(
        select(PanelMember).join(PoolExpert, PoolExpert.id == PanelMember.expert_id)
        .join(Call, Call.id == PanelMember.call_id)
        .where(or_(*concerned), PanelMember.status.in_(ON_PANEL), Call.phase.in_(RUNNING_PHASES))
        .options(joinedload(PanelMember.expert), joinedload(PanelMember.call))
        .order_by(PanelMember.id)).unique().all()
    added = []
    for member in members:
        added += derive(session, member, actor, cause)
    recusal.rederive(session, actor, cause, users=users, groups=groups)
    return added


def declare(session: Session, actor: Any, member: PanelMember, group_ids: Iterable[int], none_confirmed: bool,
            reasons: Mapping[int, str] | None = None) -> list[Conflict]:
    """The member's own declaration: ties to these groups, or none at all.

    May be made again later to add ties; nothing is ever taken back. The
    ticked ties and those the facts show are stored together, and what they
    touch moves in one redistribution at the end.
    """
    if member.status is not MemberStatus.ACCEPTED:
        raise DomainError(_l("Only a member who has accepted can declare conflicts."))
    chosen = sorted(set(group_ids))
    if chosen and none_confirmed:
        raise DomainError(_l("You ticked a group and also confirmed you have no ties. Untick one of them."),
                          "none_confirmed")
    if not chosen and not none_confirmed:
        raise DomainError(_l("Tick the groups you have a tie with, or confirm that you have no ties to any of them."),
                          "none_confirmed")
    applicants = {gid for gid, _name in applicant_groups(session, member.call)}
    if any(gid not in applicants for gid in chosen):
        raise DomainError(_l("Choose only groups from the list."))
    _store_found(session, actor, member, None)
    have = conflicted_groups(session, member)
    reasons = reasons or {}
    added = []
    for group_id in chosen:
        if group_id in have:
            continue
        reason = (reasons.get(group_id) or "").strip()
        conflict = _add(session, actor, member, group_id, ConflictSource.DECLARED, reason)
        audit.record(session, actor, "conflict.declared", conflict, member=member.id, group=group_id,
                     source=ConflictSource.DECLARED.value, reason_sha256=_sha256(reason[:REASON_LIMIT]))
        added.append(conflict)
    member.conflicts_declared_at = utcnow()
    session.flush()
    audit.record(session, actor, "panel.conflicts_declared", member, call=member.call_id,
                 declared=[c.group_id for c in added], none_confirmed=bool(none_confirmed and not chosen),
                 total=len(conflicted_groups(session, member)))
    close_conflicted(session, actor, member)
    return added


def add_by_organizer(session: Session, actor: Any, member: PanelMember, group: Group, reason: str) -> Redistribution:
    """An organizer records a tie the member did not declare. The reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason for the conflict."), "reason")
    if member.status in (MemberStatus.DECLINED, MemberStatus.WITHDRAWN):
        raise DomainError(_l("This expert is no longer on the panel."), "member")
    if group.id not in {gid for gid, _name in applicant_groups(session, member.call)}:
        raise DomainError(_l("Choose one of the groups that applied to this call."), "group")
    if group.id in conflicted_groups(session, member):
        raise DomainError(_l("This conflict is already recorded."), "group")
    conflict = _add(session, actor, member, group.id, ConflictSource.ORGANIZER, reason)
    audit.record(session, actor, "conflict.added", conflict, member=member.id, group=group.id,
                 source=ConflictSource.ORGANIZER.value, reason_sha256=_sha256(reason[:REASON_LIMIT]))
    return close_conflicted(session, actor, member)
