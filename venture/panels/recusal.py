"""Organizers recuse themselves (回避) from the proposals of groups they are tied to.

An organizer who is a member of an applicant group, or who declares a tie
with it for a call, does not screen its proposal, see or move its
assignments, follow its progress, see its deliberation line, change its
amount or answer an objection against it, and does not open or finalise a
result that includes it: another organizer of the body does. The access
rules (``venture.permissions.recused_groups`` and the rules built on it)
decide from the ties recorded here and from the memberships as they are at
that moment; the organizer's pages leave those proposals out.

Ties are recorded, and audited, when an organizer declares them and when a
membership shows one (``rederive``, which ``conflicts.rederive`` calls
whenever someone joins or leaves a group or a group submits), so a recusal
outlasts leaving the group. Nothing is ever taken back.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from venture.audit import services as audit
from venture.bodies.models import Organizer
from venture.calls.models import Call, Phase
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.groups.models import GroupMembership
from venture.proposals.models import Proposal, ProposalStatus
from venture.review.models import ConflictSource, OrganizerTie

# From applying until the final result; afterwards nothing is left to decide.
TIE_PHASES = frozenset({Phase.OPEN, Phase.CLOSED, Phase.REVIEW, Phase.NOTICE})
REASON_LIMIT = 500


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else ""


def ties_of(session: Session, user_id: int, call: Call) -> dict[int, OrganizerTie]:
    """Group id -> the recorded tie of this organizer in this call."""
    return {tie.group_id: tie for tie in session.scalars(
        select(OrganizerTie).where(OrganizerTie.call_id == call.id, OrganizerTie.user_id == user_id)
        .order_by(OrganizerTie.id))}


def _record(session: Session, actor: Any, call_id: int, user_id: int, group_id: int, source: ConflictSource,
            reason: str = "", cause: str | None = None) -> OrganizerTie:
    tie = OrganizerTie(call_id=call_id, user_id=user_id, group_id=group_id, source=source,
                       reason=reason[:REASON_LIMIT], created_by_id=getattr(actor, "id", None))
    session.add(tie)
    session.flush()
    facts: dict[str, Any] = dict(call=call_id, organizer=user_id, group=group_id, source=source.value)
    if reason:
        facts["reason_sha256"] = _sha256(reason[:REASON_LIMIT])
    if cause:
        facts["cause"] = cause
    audit.record(session, actor, "recusal.declared" if source is ConflictSource.DECLARED else "recusal.derived",
                 tie, **facts)
    return tie


def rederive(session: Session, actor: Any, cause: str | None, *, users: Iterable[int] = (),
             groups: Iterable[int] = ()) -> list[OrganizerTie]:
    """Record the ties that memberships show between organizers and the groups
    that applied to their bodies' calls (open to the public notice), for these
    users and for the members of these groups. Idempotent; each new tie audited."""
    users, groups = set(users), set(groups)
    if not (users or groups):
        return []
    concerned = []
    if users:
        concerned.append(GroupMembership.user_id.in_(sorted(users)))
    if groups:
        concerned.append(GroupMembership.group_id.in_(sorted(groups)))
    rows = session.execute(
        select(GroupMembership.user_id, Proposal.call_id, Proposal.group_id)
        .join(Proposal, Proposal.group_id == GroupMembership.group_id)
        .join(Call, Call.id == Proposal.call_id)
        .join(Organizer, and_(Organizer.body_id == Call.body_id, Organizer.user_id == GroupMembership.user_id))
        .where(or_(*concerned), Proposal.status == ProposalStatus.SUBMITTED, Proposal.version_count > 0,
               Call.phase.in_(TIE_PHASES))
        .distinct()).all()
    if not rows:
        return []
    have = {tuple(row) for row in session.execute(
        select(OrganizerTie.user_id, OrganizerTie.call_id, OrganizerTie.group_id)
        .where(OrganizerTie.user_id.in_(sorted({row.user_id for row in rows}))))}
    added = []
    for user_id, call_id, group_id in sorted(tuple(row) for row in rows):
        if (user_id, call_id, group_id) in have:
            continue
        added.append(_record(session, actor, call_id, user_id, group_id, ConflictSource.MEMBERSHIP, cause=cause))
        have.add((user_id, call_id, group_id))
    return added


def declare(session: Session, actor: Any, call: Call, group_ids: Iterable[int], none_confirmed: bool,
            reasons: Mapping[int, str] | None = None) -> list[OrganizerTie]:
    """An organizer's declaration of their ties with the call's applicant
    groups, or that they have none. May be made again to add ties; nothing is
    taken back."""
    from venture.panels.ties import applicant_groups

    if call.phase not in TIE_PHASES:
        raise DomainError(_l("Ties are declared from the opening of the call until its result is final."))
    chosen = sorted(set(group_ids))
    if chosen and none_confirmed:
        raise DomainError(_l("You ticked a group and also confirmed you have no ties. Untick one of them."),
                          "none_confirmed")
    if not chosen and not none_confirmed:
        raise DomainError(_l("Tick the groups you have a tie with, or confirm that you have no ties to any of them."),
                          "none_confirmed")
    applicants = {gid for gid, _name in applicant_groups(session, call)}
    if any(gid not in applicants for gid in chosen):
        raise DomainError(_l("Choose only groups from the list."))
    rederive(session, actor, None, users=[actor.id])
    have = ties_of(session, actor.id, call)
    reasons = reasons or {}
    added = [_record(session, actor, call.id, actor.id, group_id, ConflictSource.DECLARED,
                     (reasons.get(group_id) or "").strip())
             for group_id in chosen if group_id not in have]
    audit.record(session, actor, "recusal.declaration", call, organizer=actor.id,
                 declared=[tie.group_id for tie in added], none_confirmed=bool(none_confirmed and not chosen),
                 total=len(ties_of(session, actor.id, call)))
    return added


@dataclass
class PageRecusal:
    """What an organizer's page about one call leaves out for them."""

    groups: frozenset[int] = frozenset()
    proposals: frozenset[int] = frozenset()  # the submitted proposals left out
    other_organizers: int = 0

    def hides(self, group_id: int) -> bool:
        return group_id in self.groups

    def hides_proposal(self, proposal_id: int) -> bool:
        return proposal_id in self.proposals

    @property
    def hidden(self) -> int:
        return len(self.proposals)

    @property
    def sole_organizer(self) -> bool:
        return bool(self.proposals) and self.other_organizers == 0


def for_page(session: Session, user: Any, call: Call) -> PageRecusal:
    """The recusal of ``user`` on a page about ``call`` (decided by
    ``permissions.recused_groups``): the submitted proposals it leaves out and
    whether another organizer of the body can act on them."""
    from venture import permissions

    groups = permissions.recused_groups(user, call)
    if not groups:
        return PageRecusal()
    hidden = frozenset(session.scalars(select(Proposal.id).where(
        Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED, Proposal.version_count > 0,
        Proposal.group_id.in_(sorted(groups)))))
    if not hidden:
        return PageRecusal(groups=groups)
    others = session.scalar(select(func.count(Organizer.id)).where(
        Organizer.body_id == call.body_id, Organizer.user_id != user.id)) or 0
    return PageRecusal(groups=groups, proposals=hidden, other_organizers=others)
