"""Support (支持) for public proposals, and the queries behind listings."""
from __future__ import annotations

import base64
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from venture.accounts.models import User
from venture.audit import services as audit
from venture.calls.models import Call
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.proposals.models import Proposal, ProposalVersion
from venture.showcase import visibility
from venture.showcase.models import Support

PAGE_SIZE = 20
SORTS = {
    "newest": Proposal.submitted_at,
    "discussed": Proposal.comment_count,
    "supported": Proposal.support_count,
}


def _recount(session: Session, proposal: Proposal) -> None:
    """A plain UPDATE: a resident's support must not disturb the group's
    edit lock (``lock_version``) while they revise their draft."""
    session.flush()
    supporters = select(func.count(Support.id)).where(Support.proposal_id == proposal.id).scalar_subquery()
    count = session.execute(update(Proposal).where(Proposal.id == proposal.id).values(support_count=supporters)
                            .returning(Proposal.support_count),
                            execution_options={"synchronize_session": False}).scalar_one()
    set_committed_value(proposal, "support_count", count)


def support(session: Session, actor: User, proposal: Proposal) -> None:
    exists = session.scalar(select(Support.id).where(Support.proposal_id == proposal.id,
                                                     Support.user_id == actor.id))
    if exists is not None:
        raise DomainError(_l("You already support this proposal."))
    try:
        with session.begin_nested():
            session.add(Support(proposal_id=proposal.id, user_id=actor.id))
            session.flush()
    except IntegrityError:  # a double click racing itself
        raise DomainError(_l("You already support this proposal.")) from None
    _recount(session, proposal)
    audit.record(session, actor, "proposal.supported", proposal)


def withdraw_support(session: Session, actor: User, proposal: Proposal) -> None:
    removed = session.execute(delete(Support).where(Support.proposal_id == proposal.id,
                                                    Support.user_id == actor.id)).rowcount
    if not removed:
        raise DomainError(_l("You do not support this proposal."))
    _recount(session, proposal)
    audit.record(session, actor, "proposal.support_withdrawn", proposal)


def supports(session: Session, user: Any, proposal: Proposal) -> bool:
    if not getattr(user, "id", None):
        return False
    return session.scalar(select(Support.id).where(Support.proposal_id == proposal.id,
                                                   Support.user_id == user.id)) is not None


@dataclass
class Listing:
    items: list[tuple[Proposal, ProposalVersion]]
    next_cursor: str | None


def encode_cursor(value: Any, ident: int) -> str:
    raw = json.dumps([value.isoformat() if hasattr(value, "isoformat") else value, ident])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, sort: str) -> tuple[Any, int] | None:
    if not cursor or len(cursor) > 200:
        return None
    try:
        value, ident = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if sort == "newest":
            from datetime import datetime

            value = datetime.fromisoformat(value)
        else:
            value = int(value)
        return value, int(ident)
    except (ValueError, TypeError):
        return None


def listing(session: Session, *, call_id: int | None = None, kind: str = "", theme: str = "",
            district: str = "", sort: str = "newest", cursor: str | None = None,
            page_size: int = PAGE_SIZE, hidden_calls: Collection[int] = ()) -> Listing:
    """One page of public proposals, newest or most discussed or most
    supported first, with keyset pagination (fast on deep pages). Proposals
    of ``hidden_calls`` (see ``visibility.panel_call_ids``) are left out."""
    column = SORTS.get(sort, SORTS["newest"])
    query = visibility.public_proposals()
    if hidden_calls:
        query = query.where(Proposal.call_id.not_in(sorted(hidden_calls)))
    if call_id is not None:
        query = query.where(Proposal.call_id == call_id)
    if kind:
        query = query.where(Call.kind == kind)
    if theme:
        query = query.where(Proposal.theme == theme)
    if district:
        query = query.where(Proposal.district == district)
    after = decode_cursor(cursor, sort)
    if after is not None:
        value, ident = after
        query = query.where(or_(column < value, and_(column == value, Proposal.id < ident)))
    # The listing shows the submitted version: the working copy's text is not read.
    rows = session.scalars(query.order_by(column.desc(), Proposal.id.desc()).limit(page_size + 1)
                           .options(defer(Proposal.sections), defer(Proposal.budget),
                                    selectinload(Proposal.group), selectinload(Proposal.call))).all()
    more = len(rows) > page_size
    rows = list(rows[:page_size])
    versions = latest_versions(session, rows)
    items = [(p, versions[p.id]) for p in rows if p.id in versions]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, column.key), last.id)
    return Listing(items, next_cursor)


def latest_versions(session: Session, proposals: list[Proposal]) -> dict[int, ProposalVersion]:
    """The latest submitted version of each proposal, in one query."""
    if not proposals:
        return {}
    latest = and_(Proposal.id == ProposalVersion.proposal_id, Proposal.version_count == ProposalVersion.version_no)
    return {v.proposal_id: v for v in session.scalars(
        select(ProposalVersion).join(Proposal, latest).where(Proposal.id.in_([p.id for p in proposals])))}
