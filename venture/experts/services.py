"""Every change to a body's expert pool and to an expert's profile: check, change, audit, flush."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from venture.accounts.models import User
from venture.audit import services as audit
from venture.bodies.models import OrganizingBody, PoolExpert
from venture.calls.models import Call, Phase
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.groups import creditcode
from venture.review.expertise import AREAS
from venture.review.models import MemberStatus, PanelMember

# Key -> label. Keys are stored in profiles and read by the conflict check; never rename one.
RELATIONS = {
    "employer": _l("Current employer"),
    "past_employer": _l("Past employer"),
    "board": _l("Board or committee"),
    "tie": _l("Close tie (family, friend, adviser)"),
}
MAX_AFFILIATIONS = 40
NAME_MAX = 120
NOTE_MAX = 300
YEARS_MAX = 40
# A call whose panel has nothing left to do: its experts may leave the pool.
FINISHED_PHASES = frozenset({Phase.PUBLISHED, Phase.CANCELLED})


def relation_label(key: str) -> str:
    return str(RELATIONS.get(key, key))


@dataclass
class PanelSeat:
    """A panel an expert sits on (or was asked to), for the pool page."""

    call: Call
    status: MemberStatus


# Reading -------------------------------------------------------------------------------------

def pool_of(session: Session, body: OrganizingBody) -> list[PoolExpert]:
    return list(session.scalars(select(PoolExpert).where(PoolExpert.body_id == body.id)
                                .options(joinedload(PoolExpert.user))
                                .order_by(PoolExpert.joined_at, PoolExpert.id)))


def memberships_of(session: Session, user: User) -> list[PoolExpert]:
    """The pools a person belongs to, one per body."""
    return list(session.scalars(select(PoolExpert).where(PoolExpert.user_id == user.id)
                                .order_by(PoolExpert.joined_at, PoolExpert.id)))


def panels_of(session: Session, experts: list[PoolExpert]) -> dict[int, list[PanelSeat]]:
    """Expert id -> the panels they are asked onto or sit on."""
    found: dict[int, list[PanelSeat]] = {expert.id: [] for expert in experts}
    if not experts:
        return found
    rows = session.execute(
        select(PanelMember, Call).join(Call, Call.id == PanelMember.call_id)
        .where(PanelMember.expert_id.in_(list(found)),
               PanelMember.status.in_([MemberStatus.INVITED, MemberStatus.ACCEPTED]))
        .order_by(Call.closes_at.desc(), Call.id))
    for member, call in rows:
        found[member.expert_id].append(PanelSeat(call=call, status=member.status))
    return found


# Profile -------------------------------------------------------------------------------------

def clean_affiliations(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Blank rows dropped, text trimmed, codes normalised; a DomainError for the first bad row."""
    cleaned: list[dict[str, str]] = []
    for index, row in enumerate(rows, start=1):
        name = str(row.get("name") or "").strip()
        code = creditcode.normalise(str(row.get("credit_code") or ""))
        relation = str(row.get("relation") or "").strip()
        note = str(row.get("note") or "").strip()
        years = str(row.get("years") or "").strip()
        if not (name or code or note or years):
            continue  # an empty row, whatever its relation says
        if not name:
            raise DomainError(_l("Affiliation %(n)d: give the organisation's name.", n=index), "affiliations")
        if len(name) > NAME_MAX or len(note) > NOTE_MAX or len(years) > YEARS_MAX:
            raise DomainError(_l("Affiliation %(n)d: a text is too long.", n=index), "affiliations")
        if code and not creditcode.is_valid(code):
            raise DomainError(_l("Affiliation %(n)d: %(code)s is not a valid unified social credit code "
                                 "(18 characters; check the last one).", n=index, code=code), "affiliations")
        if relation not in RELATIONS:
            raise DomainError(_l("Affiliation %(n)d: choose how you are tied to the organisation.", n=index),
                              "affiliations")
        cleaned.append({"name": name, "credit_code": code, "relation": relation, "note": note, "years": years})
    if len(cleaned) > MAX_AFFILIATIONS:
        raise DomainError(_l("A profile lists at most %(n)d affiliations.", n=MAX_AFFILIATIONS), "affiliations")
    return cleaned


def update_profile(session: Session, actor: User, expert: PoolExpert, expertise: list[str],
                   affiliations: list[dict[str, Any]], available: bool, note: str,
                   now: datetime | None = None) -> None:
    """Replace the expert's profile: areas, affiliations and availability."""
    now = now or utcnow()
    chosen = set(expertise)
    unknown = chosen - set(AREAS)
    if unknown:
        raise DomainError(_l("Choose areas from the list."), "expertise")
    if not chosen:
        raise DomainError(_l("Choose at least one area of expertise."), "expertise")
    cleaned = clean_affiliations(affiliations)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_l("At most %(max)d characters.", max=NOTE_MAX), "availability_note")
    expert.expertise = [key for key in AREAS if key in chosen]
    expert.affiliations = cleaned
    expert.available = bool(available)
    expert.availability_note = note
    expert.profile_updated_at = now
    session.flush()
    audit.record(session, actor, "expert.profile_updated", expert, body=expert.body_id,
                 areas=len(expert.expertise), affiliations=len(cleaned), available=expert.available)
    from venture.panels import conflicts

    conflicts.rederive(session, actor, "expert.profile_updated", experts=[expert.id])


# The pool ------------------------------------------------------------------------------------

def remove_expert(session: Session, actor: User, expert: PoolExpert) -> None:
    """Take an expert out of a body's pool. Not while they sit on a panel whose
    call is still running; not once they have served on a panel, whose record is kept."""
    rows = session.execute(select(PanelMember, Call).join(Call, Call.id == PanelMember.call_id)
                           .where(PanelMember.expert_id == expert.id)).all()
    running = [call for member, call in rows
               if call.phase not in FINISHED_PHASES
               and member.status in (MemberStatus.INVITED, MemberStatus.ACCEPTED)]
    if running:
        raise DomainError(_l("%(name)s sits on the panel of “%(call)s”, which is not finished. Remove them "
                             "from that panel first, or wait until the call is over.",
                             name=expert.user.public_name, call=running[0].title))
    if rows:
        raise DomainError(_l("%(name)s has been on the panel of “%(call)s”. That record is kept, so they "
                             "stay in the pool; they can mark themselves unavailable.",
                             name=expert.user.public_name, call=rows[0][1].title))
    expert_id, body_id, user_id = expert.id, expert.body_id, expert.user_id
    session.delete(expert)
    session.flush()
    audit.record(session, actor, "expert.removed", object_type="pool_experts", object_id=expert_id,
                 body=body_id, user=user_id)
