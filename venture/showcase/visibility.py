"""What the public may see of a proposal, decided in one place.

A proposal is public once a version of it has been submitted, it is not
withdrawn, and its call is in a phase that shows proposals. The public sees
the latest submitted version, never the working copy. While review runs the
group is not named anywhere public: not on pages, listings, feeds or search;
from the public notice on, it is.
"""
from __future__ import annotations

from sqlalchemy import Select, select

from venture.calls.models import Call, Phase
from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion

SHOWCASE_PHASES = frozenset({Phase.OPEN, Phase.CLOSED, Phase.REVIEW, Phase.NOTICE, Phase.PUBLISHED})
IDENTITY_PHASES = frozenset({Phase.NOTICE, Phase.PUBLISHED})


def is_public(proposal: Proposal) -> bool:
    return (proposal.status is ProposalStatus.SUBMITTED and proposal.version_count > 0
            and proposal.call.phase in SHOWCASE_PHASES)


def identity_revealed(call: Call) -> bool:
    """True once review is over and the public notice has opened."""
    return call.phase in IDENTITY_PHASES


def public_version(proposal: Proposal) -> ProposalVersion | None:
    return proposal.latest_version if is_public(proposal) else None


def public_proposals() -> Select[tuple[Proposal]]:
    """A query of every public proposal (add filters and order to it)."""
    return (select(Proposal).join(Call, Proposal.call_id == Call.id)
            .where(Proposal.status == ProposalStatus.SUBMITTED, Proposal.version_count > 0,
                   Call.phase.in_(SHOWCASE_PHASES)))


def public_attachment_ids(proposal: Proposal) -> set[int]:
    """Attachments of the public version that the group marked public."""
    version = public_version(proposal)
    if version is None:
        return set()
    public = {a.id for a in proposal.attachments if a.is_public}
    return {item["id"] for item in version.content.get("attachments", []) if item["id"] in public}


# Panel members ---------------------------------------------------------------------

# While a call is judged, those asked to judge it do not see its proposals in
# public: they reach only the proposals assigned to them, through the blind view.
PANEL_BLIND_PHASES = frozenset({Phase.OPEN, Phase.CLOSED, Phase.REVIEW})


def panel_call_ids(user_id: int | None) -> set[int]:
    """The calls whose public proposals this user may not see: those being
    judged on whose panel they are invited or sitting."""
    if not user_id:
        return set()
    from flask import g, has_request_context

    from venture.bodies.models import PoolExpert
    from venture.extensions import db
    from venture.review.models import MemberStatus, PanelMember

    # Asked for every comment and listing row: once per request is enough.
    cache: dict[int, set[int]] | None = g.setdefault("_panel_call_ids", {}) if has_request_context() else None
    if cache is not None and user_id in cache:
        return set(cache[user_id])
    found = set(db.session.scalars(
        select(PanelMember.call_id).join(PoolExpert, PanelMember.expert_id == PoolExpert.id)
        .join(Call, PanelMember.call_id == Call.id)
        .where(PoolExpert.user_id == user_id,
               PanelMember.status.in_([MemberStatus.INVITED, MemberStatus.ACCEPTED]),
               Call.phase.in_(PANEL_BLIND_PHASES))))
    if cache is not None:
        cache[user_id] = found
    return set(found)


def hidden_from(user_id: int | None, proposal: Proposal) -> bool:
    """True when this user sits on the panel judging the proposal's call."""
    return bool(user_id) and proposal.call.phase in PANEL_BLIND_PHASES and proposal.call_id in panel_call_ids(user_id)
