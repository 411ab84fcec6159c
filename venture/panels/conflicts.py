"""Conflicts of interest (利益冲突) between panel members and applicant groups.

Before a member sees any proposal they go through the names of the groups
that applied to the call (names only, sorted, never linked to a proposal)
and tick the ones they have a tie with, or confirm they have none. Ties are
also found from the member's profile: an affiliation whose name or credit
code matches a group, or membership of the group on this site. An organizer
may add one too. Conflicts are only ever added, never removed; a conflict
that touches a proposal the member already holds moves that proposal to
another member.
"""
from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.audit import services as audit
from venture.calls.models import Call
from venture.core.collation import name_sort_key
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.groups import creditcode
from venture.groups.models import Group, GroupMembership
from venture.panels import redistribution
from venture.panels.redistribution import Redistribution
from venture.proposals.models import Proposal, ProposalStatus
from venture.review.models import Conflict, ConflictSource, MemberStatus, PanelMember

# Containment counts as a match only when the shorter name is at least this
# long, so that a two-character fragment such as "社区" matches nothing.
MIN_CONTAINED_LENGTH = 4
REASON_LIMIT = 500


def normalise_name(name: str) -> str:
    """Compatibility-normalised, case-folded, without spaces or punctuation."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith(("P", "Z", "C")))


def names_match(a: str, b: str) -> bool:
    first, second = normalise_name(a), normalise_name(b)
    if not first or not second:
        return False
    if first == second:
        return True
    shorter, longer = sorted((first, second), key=len)
    return len(shorter) >= MIN_CONTAINED_LENGTH and shorter in longer


def _code(value: Any) -> str:
    return creditcode.normalise(str(value)) if value else ""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else ""


def applicant_groups(session: Session, call: Call) -> list[tuple[int, str]]:
    """(group id, name) of every group with a submitted proposal in the call, sorted by name."""
    rows = session.execute(
        select(Group.id, Group.name).join(Proposal, Proposal.group_id == Group.id)
        .where(Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED,
               Proposal.version_count > 0)
        .distinct())
    return sorted(((gid, name) for gid, name in rows), key=lambda row: (name_sort_key(row[1]), row[0]))


def _applicants(session: Session, call: Call) -> list[Group]:
    ids = [gid for gid, _name in applicant_groups(session, call)]
    if not ids:
        return []
    return list(session.scalars(select(Group).where(Group.id.in_(ids)).order_by(Group.name, Group.id)))


def conflicted_groups(session: Session, member: PanelMember) -> set[int]:
    return set(session.scalars(select(Conflict.group_id).where(Conflict.member_id == member.id)))


def conflicts_of(session: Session, member: PanelMember) -> list[Conflict]:
    return list(session.scalars(select(Conflict).where(Conflict.member_id == member.id).order_by(Conflict.id)))


def found_ties(session: Session, member: PanelMember) -> dict[int, ConflictSource]:
    """Group id -> how the tie shows, for applicant groups the member's profile or
    memberships tie them to. Reads only; ``derive`` stores them."""
    expert = member.expert
    affiliations = [a for a in (expert.affiliations or []) if isinstance(a, Mapping)]
    member_of = set(session.scalars(select(GroupMembership.group_id)
                                    .where(GroupMembership.user_id == expert.user_id)))
    found: dict[int, ConflictSource] = {}
    for group in _applicants(session, member.call):
        if group.id in member_of:
            found[group.id] = ConflictSource.MEMBERSHIP
            continue
        group_code = _code(group.credit_code)
        for affiliation in affiliations:
            if (group_code and _code(affiliation.get("credit_code")) == group_code) or \
                    names_match(str(affiliation.get("name") or ""), group.name):
                found[group.id] = ConflictSource.AFFILIATION
                break
    return found


def _add(session: Session, actor: Any, member: PanelMember, group_id: int, source: ConflictSource,
         reason: str = "") -> Conflict:
    conflict = Conflict(member_id=member.id, group_id=group_id, source=source, reason=reason[:REASON_LIMIT],
                        created_by_id=getattr(actor, "id", None))
    session.add(conflict)
    session.flush()
    return conflict


def _move_conflicted(session: Session, actor: Any, member: PanelMember, group_ids: Iterable[int]) -> Redistribution:
    """End the member's live assignments of proposals by these groups and give them to others.

    A conflicted review must not count, so this happens even when the review
    was already submitted, and even when nobody can take the proposal (the
    organizers are then told)."""
    groups = set(group_ids)
    if not groups:
        return Redistribution()
    hit = [a for a in redistribution.active_assignments(session, member.call)
           if a.member_id == member.id and a.proposal.group_id in groups]
    return redistribution.move_away(session, actor, member, hit, "conflict", partial=True)


def derive(session: Session, member: PanelMember, actor: Any = None) -> list[Conflict]:
    """Store the ties the profile and memberships show; idempotent. Returns the new conflicts."""
    have = conflicted_groups(session, member)
    added = []
    for group_id, source in sorted(found_ties(session, member).items()):
        if group_id in have:
            continue
        conflict = _add(session, actor, member, group_id, source)
        audit.record(session, actor, "conflict.derived", conflict, member=member.id, group=group_id,
                     source=source.value)
        added.append(conflict)
    _move_conflicted(session, actor, member, [c.group_id for c in added])
    return added


def declare(session: Session, actor: Any, member: PanelMember, group_ids: Iterable[int], none_confirmed: bool,
            reasons: Mapping[int, str] | None = None) -> list[Conflict]:
    """The member's own declaration: ties to these groups, or none at all.

    May be made again later to add ties; nothing is ever taken back.
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
    derive(session, member, actor)
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
    _move_conflicted(session, actor, member, [c.group_id for c in added])
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
    return _move_conflicted(session, actor, member, [group.id])
