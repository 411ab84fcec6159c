"""Ties between a panel member and an applicant group, as the stored
conflicts and the facts show them now. Read-only, so the access rules may ask
(``venture.permissions``); ``venture.panels.conflicts`` stores and acts on them."""
from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from venture.bodies.models import PoolExpert
from venture.calls.models import Call
from venture.core.collation import name_sort_key
from venture.groups import creditcode
from venture.groups.models import Group, GroupMembership
from venture.proposals.models import Proposal, ProposalStatus
from venture.review.models import Conflict, ConflictSource, PanelMember

# Containment counts as a match only when the shorter name is at least this
# long, so that a two-character fragment such as "社区" matches nothing.
MIN_CONTAINED_LENGTH = 4


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


def affiliations_of(expert: PoolExpert) -> list[Mapping[str, Any]]:
    return [a for a in (expert.affiliations or []) if isinstance(a, Mapping)]


def memberships_of(session: Session, user_id: int) -> set[int]:
    """Ids of the groups the user belongs to now."""
    return set(session.scalars(select(GroupMembership.group_id).where(GroupMembership.user_id == user_id)))


def tie_with(group: Any, affiliations: Iterable[Mapping[str, Any]], member_of: Collection[int]) -> ConflictSource | None:
    """How the facts tie a person to a group (anything with ``id``, ``name``
    and ``credit_code``, as they are now): membership, or an affiliation whose
    credit code or name matches the group's. None when they show no tie."""
    if group.id in member_of:
        return ConflictSource.MEMBERSHIP
    group_code = _code(group.credit_code)
    for affiliation in affiliations:
        if (group_code and _code(affiliation.get("credit_code")) == group_code) or \
                names_match(str(affiliation.get("name") or ""), group.name):
            return ConflictSource.AFFILIATION
    return None


def conflicted_now(session: Session, member: PanelMember, group: Group) -> bool:
    """A stored conflict, or a tie the facts show at this moment (see ``tie_with``)."""
    if session.scalar(select(exists().where(Conflict.member_id == member.id, Conflict.group_id == group.id))):
        return True
    expert = member.expert
    member_of = {group.id} if session.scalar(select(exists().where(
        GroupMembership.group_id == group.id, GroupMembership.user_id == expert.user_id))) else set()
    return tie_with(group, affiliations_of(expert), member_of) is not None
