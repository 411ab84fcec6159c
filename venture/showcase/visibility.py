"""What the public may see of a proposal, decided in one place.

A proposal is public once a version of it has been submitted, it is not
withdrawn, and its call is in a phase that shows proposals. The public sees
the latest submitted version, never the working copy, and only its public
face (venture.proposals.face): while review runs, as redacted as its
reviewers read it (the group is named nowhere public: not on pages,
listings, feeds, search or files); from the public notice on the group is
named, but contact data never is.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from venture.calls.models import Call, Phase
from venture.proposals import face, leaks
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


# The face the public sees ------------------------------------------------------------

def hidden_identity(proposal: Proposal, cached: bool = True) -> tuple[leaks.Identity, bool]:
    """What the public face of this proposal hides, and whether review is
    still blind (the whole identity) or not (contact data only). Asked for
    the page and each of its comments: once per request and proposal
    (``cached``; the search index, filled after a change, asks afresh)."""
    from flask import g, has_request_context

    cache: dict[int, tuple[leaks.Identity, bool]] | None = (
        g.setdefault("_hidden_identity", {}) if cached and has_request_context() else None)
    if cache is not None and proposal.id in cache:
        return cache[proposal.id]
    # Two statements whatever the number of members (not one per member's user).
    from sqlalchemy import inspect

    state = inspect(proposal)
    session = state.session if state.persistent else None
    current = ((face.identities_of(session, [proposal.group_id]).get(proposal.group_id) if session else None)
               or face.identity_of(proposal.group))
    version = proposal.latest_version
    found = (face.version_identity(version, current) if version is not None else current,
             not identity_revealed(proposal.call))
    if cache is not None:
        cache[proposal.id] = found
    return found


def face_of(proposal: Proposal, cached: bool = True) -> dict[str, Any] | None:
    """The public face of the proposal's public version (see venture.proposals.face)."""
    version = public_version(proposal)
    if version is None:
        return None
    identity, blind = hidden_identity(proposal, cached)
    return face.public_face(version, identity, blind=blind)


def faces_of(session: Session, items: Iterable[tuple[Proposal, ProposalVersion]]) -> dict[int, dict[str, Any]]:
    """The public faces of a listing's proposals, their identities read in
    two queries for the whole page."""
    items = list(items)
    current = face.identities_of(session, {proposal.group_id for proposal, _version in items})
    return {proposal.id: face.public_face(version, face.version_identity(version, current[proposal.group_id]),
                                          blind=not identity_revealed(proposal.call))
            for proposal, version in items if proposal.group_id in current}


def _files(proposal: Proposal) -> tuple[set[int], set[int]]:
    """(served, withheld): the public version's files the group marked public
    that the public may download, and those held back because their text or
    properties say what the face hides."""
    version = public_version(proposal)
    if version is None:
        return set(), set()
    marked = {a.id: a for a in proposal.attachments if a.is_public}
    listed = [item["id"] for item in version.content.get("attachments", []) if item["id"] in marked]
    if not listed:
        return set(), set()
    identity, blind = hidden_identity(proposal)
    withheld = {ident for ident in listed if face.file_may_identify(marked[ident], identity, blind=blind)}
    return set(listed) - withheld, withheld


def public_attachment_ids(proposal: Proposal) -> set[int]:
    """Attachments of the public version that the group marked public and
    that name nothing the face hides."""
    return _files(proposal)[0]


def withheld_attachment_ids(proposal: Proposal) -> set[int]:
    """Files marked public but held back: they would name the group while
    review is blind, or contact data in any phase."""
    return _files(proposal)[1]


def comment_html(comment: Any) -> str:
    """A comment's sanitised HTML as the public reads it: what the
    proposal's face hides is redacted in it too."""
    identity, blind = hidden_identity(comment.proposal)
    return face.redact_markup(comment.body_html, identity, blind=blind)


def person_name(name: str, proposal: Proposal) -> str:
    """A name shown next to a proposal (a comment's author), redacted as its face."""
    identity, blind = hidden_identity(proposal)
    return face.redact_text(name, identity, blind=blind)
