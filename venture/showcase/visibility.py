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
