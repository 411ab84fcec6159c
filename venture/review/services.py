"""Blind scoring: a reviewer's working copy of a score sheet, its submitted
versions, and the proposal as a reviewer sees it.

A review is written while the call is under review: drafts may be saved
incomplete; a submission checks every score and reason, freezes a
``ReviewVersion`` with its total and fingerprint and is audited. A submitted
review may be revised until review ends: each submission is a new version
and every version is kept.

What reviewers read of a proposal comes from :func:`blind_content`: the
latest submitted version with every trace of the group redacted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from venture import permissions
from venture.audit import services as audit
from venture.bodies.models import PoolExpert
from venture.core.errors import DomainError, NotAllowed
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.proposals import face, leaks
from venture.proposals import services as proposals
from venture.proposals.models import Attachment, Proposal, ProposalVersion
from venture.review import scoring
from venture.review.models import Assignment, PanelMember, Review, ReviewStatus, ReviewVersion

MAX_TEXT_CHARS = 5000
STASH_MARK = "_review_assignment"


class ReviewConflict(DomainError):
    """The sheet was saved (in another tab or window) after this form was loaded."""

    def __init__(self) -> None:
        super().__init__(_l("This review was saved in another window after you opened this one. What you "
                            "typed is still in the form below, and the saved version is shown under it. "
                            "Compare them, then save again."))


class ReviewInvalid(DomainError):
    """The sheet cannot be saved or submitted as it is; ``problems`` says where."""

    def __init__(self, problems: list[scoring.Problem]) -> None:
        super().__init__(problems[0].message, problems[0].field)
        self.problems = problems


# Finding --------------------------------------------------------------------------------------

def viewable_assignment(session: Session, user: Any, proposal: Proposal) -> Assignment | None:
    """The user's own live assignment of this proposal, if they may open it."""
    if not getattr(user, "id", None):
        return None
    candidates = session.scalars(
        select(Assignment).join(PanelMember, Assignment.member_id == PanelMember.id)
        .join(PoolExpert, PanelMember.expert_id == PoolExpert.id)
        .where(Assignment.proposal_id == proposal.id, Assignment.ended_at.is_(None),
               PoolExpert.user_id == user.id))
    return next((a for a in candidates if permissions.can(user, "assignment:view", a)), None)


def review_for(session: Session, assignment: Assignment) -> Review:
    """The assignment's review, created (empty, as a draft) on first use."""
    if assignment.review is not None:
        return assignment.review
    review = Review(scores={}, reasons={})
    try:
        with session.begin_nested():
            session.add(review)
            review.assignment = assignment
            session.flush()
    except IntegrityError:  # created in another window at the same moment
        session.expire(assignment, ["review"])
        found = session.scalar(select(Review).where(Review.assignment_id == assignment.id))
        if found is None:
            raise
        return found
    return review


def current_lock(assignment: Assignment) -> int:
    """The lock version a form must carry to save: 0 before the first save."""
    return assignment.review.lock_version if assignment.review is not None else 0


# Writing --------------------------------------------------------------------------------------

def _require_scoring(actor: Any, assignment: Assignment) -> None:
    if not permissions.can(actor, "assignment:score", assignment):
        raise NotAllowed(_l("You cannot score this proposal: it is not assigned to you, or the review "
                            "phase is over."))


def _parsed_scores(criteria: list[Any], scores: dict[str, Any]) -> dict[str, Decimal]:
    found = {}
    for criterion in criteria:
        value = scoring.parse_score(scores.get(str(criterion.id)), criterion.max_points)
        if value is not None:
            found[str(criterion.id)] = value
    return found


def _write(review: Review, criteria: list[Any], scores: dict[str, Decimal], reasons: dict[str, Any],
           comment: str, note: str, now: datetime) -> None:
    review.scores = {key: scoring.plain(value) for key, value in scores.items()}
    review.reasons = {str(c.id): str(reasons.get(str(c.id)) or "").strip()[:MAX_TEXT_CHARS] for c in criteria
                      if str(reasons.get(str(c.id)) or "").strip()}
    review.comment_to_applicant = (comment or "").strip()[:MAX_TEXT_CHARS]
    review.note_to_organizer = (note or "").strip()[:MAX_TEXT_CHARS]
    review.updated_at = now


def save_draft(session: Session, actor: Any, assignment: Assignment, scores: dict[str, Any],
               reasons: dict[str, Any], comment: str, note: str, lock_version: int,
               now: datetime | None = None) -> Review:
    """Save the working copy, complete or not. ``lock_version`` is the one the
    form was loaded with: if the sheet was saved since, nothing is overwritten
    (:class:`ReviewConflict`). Malformed scores are refused (:class:`ReviewInvalid`)."""
    now = now or utcnow()
    _require_scoring(actor, assignment)
    if lock_version != current_lock(assignment):
        raise ReviewConflict()
    criteria = list(assignment.proposal.call.criteria)
    found = scoring.draft_problems(criteria, scores, reasons)
    if found:
        raise ReviewInvalid(found)
    review = review_for(session, assignment)
    _write(review, criteria, _parsed_scores(criteria, scores), reasons, comment, note, now)
    session.flush()
    audit.record(session, actor, "review.draft_saved", review, assignment=assignment.id,
                 status=review.status.value)
    return review


def submit(session: Session, actor: Any, assignment: Assignment, scores: dict[str, Any],
           reasons: dict[str, Any], comment: str, note: str, lock_version: int,
           now: datetime | None = None) -> ReviewVersion:
    """Check the sheet, save it and freeze it as the next version."""
    now = now or utcnow()
    _require_scoring(actor, assignment)
    if lock_version != current_lock(assignment):
        raise ReviewConflict()
    criteria = list(assignment.proposal.call.criteria)
    if not criteria:
        raise DomainError(_l("This call has no scoring criteria; ask the organizer."))
    found = scoring.problems(criteria, scores, reasons)
    if found:
        raise ReviewInvalid(found)
    parsed = _parsed_scores(criteria, scores)
    content = scoring.freeze(criteria, parsed, {k: str(v or "") for k, v in reasons.items()},
                             (comment or "").strip()[:MAX_TEXT_CHARS], (note or "").strip()[:MAX_TEXT_CHARS])
    digest = scoring.fingerprint(content)
    review = review_for(session, assignment)
    latest = review.versions[-1] if review.versions else None
    if latest is not None and latest.fingerprint == digest:
        raise DomainError(_l("Nothing has changed since version %(n)d, which is already submitted.",
                             n=latest.version_no))
    _write(review, criteria, parsed, reasons, comment, note, now)
    version = ReviewVersion(review=review, version_no=review.version_count + 1, submitted_at=now,
                            content=content, total=Decimal(content["total"]), fingerprint=digest)
    session.add(version)
    review.status = ReviewStatus.SUBMITTED
    review.submitted_at = now
    review.version_count += 1
    session.flush()
    audit.record(session, actor, "review.submitted", review, assignment=assignment.id,
                 version=version.version_no, total=content["total"], fingerprint=digest,
                 submitted_at=now.isoformat())
    return version


def unsubmitted_changes(review: Review | None, latest: ReviewVersion | None = None) -> bool:
    """True when the working copy differs from the latest submitted version
    (``latest``, when the caller has loaded it; else the review's own)."""
    if review is None:
        return False
    if latest is None:
        if not review.versions:
            return False
        latest = review.versions[-1]
    content = latest.content
    if content.get("comment", "") != review.comment_to_applicant.strip():
        return True
    if content.get("note", "") != review.note_to_organizer.strip():
        return True
    for item in content.get("criteria", []):
        key = str(item["id"])
        if review.scores.get(key) != item["score"] or (review.reasons.get(key) or "").strip() != item["reason"]:
            return True
    return False


# Reading, blind -------------------------------------------------------------------------------

@dataclass
class BlindVersion:
    """The latest submitted version as reviewers see it (``content`` redacted)."""

    content: dict[str, Any]
    submitted_at: datetime
    number: str
    attachments: list[dict[str, Any]] = field(default_factory=list)


def identity(assignment: Assignment) -> leaks.Identity:
    """What is hidden from the reviewer: the group as it was when it
    submitted its latest version, and as it is now."""
    proposal = assignment.proposal
    current = face.identity_of(proposal.group)
    version = proposal.latest_version
    return face.version_identity(version, current) if version is not None else current


def blind_content(assignment: Assignment) -> dict[str, Any]:
    """The latest submitted version's public face while blind
    (``face.public_face``): every identity term of the group (and any
    contact data) replaced by ■■■, files under neutral names. Shared: do
    not change it."""
    version = assignment.proposal.latest_version
    if version is None:
        return {}
    return face.public_face(version, identity(assignment), blind=True)


def blind_version(assignment: Assignment) -> BlindVersion | None:
    version = assignment.proposal.latest_version
    if version is None:
        return None
    content = blind_content(assignment)
    return BlindVersion(content=content, submitted_at=version.submitted_at, number=version.number,
                        attachments=list(content.get("attachments", [])))


def blind_attachment(assignment: Assignment, attachment_id: Any) -> tuple[Attachment, str] | None:
    """An attachment listed in the latest submitted version, with the
    neutral name it is served under; None for any other."""
    version = assignment.proposal.latest_version
    if version is None:
        return None
    position = face.attachment_position(version, attachment_id)
    if position is None:
        return None
    attachment = next((a for a in assignment.proposal.attachments if str(a.id) == str(attachment_id)), None)
    if attachment is None:
        return None
    return attachment, face.attachment_name(position, attachment.kind)


# Residents' opinion, once the reviewer's own review is in ----------------------------------------

@dataclass
class OpinionComment:
    id: int
    author: str
    body_html: str
    created_at: datetime
    reply: bool


@dataclass
class Opinion:
    support_count: int
    comments: list[OpinionComment]


def opinion(session: Session, assignment: Assignment) -> Opinion:
    """Support and visible comments; the applicant team's comments are
    labelled as such, never by name, and identity terms in any comment are
    redacted. Call only when ``assignment:see_opinion`` allows."""
    from venture.comments.models import Comment, CommentStatus
    from venture.groups.models import GroupMembership

    proposal = assignment.proposal
    team = set(session.scalars(select(GroupMembership.user_id).where(GroupMembership.group_id == proposal.group_id)))
    who = identity(assignment)
    rows = session.scalars(select(Comment).where(Comment.proposal_id == proposal.id,
                                                 Comment.status == CommentStatus.VISIBLE).order_by(Comment.id))
    comments = []
    for comment in rows:
        if comment.by_applicant_team or comment.author_id in team:
            author = str(_l("Applicant team"))
        else:
            author = leaks.redact(comment.author.public_name, who)
        comments.append(OpinionComment(id=comment.id, author=author,
                                       body_html=leaks.redact_html(comment.body_html, who),
                                       created_at=comment.created_at, reply=comment.parent_id is not None))
    return Opinion(support_count=proposal.support_count, comments=comments)


# A form typed after the sign-in expired ----------------------------------------------------------

def stash_form(session: Session, assignment: Assignment, data: dict[str, str], browser_token: str) -> str:
    """Keep what was typed, for this browser, until its owner logs in again
    (the proposals' stash, marked as a review's)."""
    return proposals.stash_form(session, assignment.proposal_id, {**data, STASH_MARK: str(assignment.id)},
                                browser_token)


def take_stash(session: Session, token: str, browser_token: str | None,
               assignment: Assignment) -> dict[str, Any] | None:
    data = proposals.take_stash(session, token, browser_token, assignment.proposal_id)
    if data is None or data.pop(STASH_MARK, None) != str(assignment.id):
        return None
    return data


# The reviewer's dashboard ------------------------------------------------------------------------

@dataclass
class AssignmentRow:
    assignment: Assignment
    number: str
    title: str
    review: Review | None
    unsubmitted: bool = False  # submitted, with changes since

    @property
    def submitted(self) -> bool:
        return self.review is not None and self.review.status is ReviewStatus.SUBMITTED


@dataclass
class Seat:
    """One panel the reviewer sits on, with what they may do there."""

    member: PanelMember
    assignments: list[AssignmentRow]
    waiting: int  # assignments not yet open to them (before review starts)

    @property
    def done(self) -> int:
        return sum(1 for row in self.assignments if row.submitted)

    @property
    def total(self) -> int:
        return len(self.assignments)


def seats(session: Session, user: Any) -> list[Seat]:
    """Every panel of the user's, those with open work first, then newest call first, with their live
    assignments that they may open (titles redacted).

    A fixed number of queries whatever the number of assignments: the rows a
    reviewer may open are those ``assignment:view`` allows, decided here in
    bulk with ``permissions.assignment_open``, the condition the rule uses;
    opening one still goes through the rule itself."""
    from venture.calls.models import Call, Phase
    from venture.review.models import Conflict

    members = session.scalars(
        select(PanelMember).join(PoolExpert, PanelMember.expert_id == PoolExpert.id)
        .where(PoolExpert.user_id == user.id)
        .options(selectinload(PanelMember.call).selectinload(Call.body), selectinload(PanelMember.expert))
        .order_by(PanelMember.id.desc())).all()
    if not members:
        return []
    live = session.scalars(
        select(Assignment).where(Assignment.member_id.in_([m.id for m in members]), Assignment.ended_at.is_(None))
        # Joined: selectinload would split its IN list every 500 rows. Only what a
        # row needs; the review's sheet (JSON) only where it may differ (below).
        .options(joinedload(Assignment.review).load_only(Review.assignment_id, Review.status, Review.version_count,
                                                         Review.updated_at, Review.submitted_at),
                 joinedload(Assignment.proposal).load_only(Proposal.call_id, Proposal.group_id, Proposal.number))
        .order_by(Assignment.id)).all()
    titles = _latest_titles(session, {a.proposal_id for a in live})
    who = face.identities_of(session, {a.proposal.group_id for a in live})
    # A submitted sheet can differ from its latest version only if saved after it.
    changed = {review.id for a in live if (review := a.review) is not None and review.version_count
               and review.submitted_at is not None and review.updated_at > review.submitted_at}
    submitted = _latest_review_versions(session, changed)
    if changed:
        session.scalars(select(Review).where(Review.id.in_(changed))
                        .execution_options(populate_existing=True)).all()
    conflicted = {(row.member_id, row.group_id) for row in session.execute(
        select(Conflict.member_id, Conflict.group_id).where(Conflict.member_id.in_([m.id for m in members])))}
    conflicted |= _conflicted_now(session, user, members, live)
    by_member: dict[int, list[Assignment]] = {}
    for assignment in live:
        by_member.setdefault(assignment.member_id, []).append(assignment)
    found = []
    for member in members:
        rows, waiting = [], 0
        phase = member.call.phase
        for assignment in by_member.get(member.id, []):
            if (member.id, assignment.proposal.group_id) in conflicted:
                continue
            if permissions.assignment_open(member, assignment, conflicted=False):
                review = assignment.review
                rows.append(AssignmentRow(
                    assignment=assignment, number=assignment.proposal.number or "",
                    title=_blind_title(titles.get(assignment.proposal_id), who[assignment.proposal.group_id]),
                    review=review,
                    unsubmitted=review is not None and review.id in submitted
                    and unsubmitted_changes(review, submitted[review.id])))
            elif phase in (Phase.OPEN, Phase.CLOSED):
                waiting += 1
        rows.sort(key=lambda row: row.submitted and not row.unsubmitted)  # open work first, stable
        found.append(Seat(member=member, assignments=rows, waiting=waiting))
    # Panels with work still open lead; newest first within each half.
    found.sort(key=lambda seat: not any(not row.submitted or row.unsubmitted for row in seat.assignments))
    return found


def _conflicted_now(session: Session, user: Any, members: Sequence[PanelMember],
                    live: Sequence[Assignment]) -> set[tuple[int, int]]:
    """(member, group) pairs the facts tie as they are now (membership, or an
    affiliation matching the group's current name or credit code), as
    ``permissions.assignment_open`` decides: two queries for the whole page."""
    from venture.groups.models import Group
    from venture.panels import conflicts

    group_ids = {a.proposal.group_id for a in live}
    if not group_ids:
        return set()
    groups = {row.id: row for row in session.execute(
        select(Group.id, Group.name, Group.credit_code).where(Group.id.in_(sorted(group_ids))))}
    member_of = conflicts.memberships_of(session, user.id)
    affiliations = {member.id: conflicts.affiliations_of(member.expert) for member in members}
    return {(member_id, group_id) for member_id, group_id in {(a.member_id, a.proposal.group_id) for a in live}
            if group_id in groups
            and conflicts.tie_with(groups[group_id], affiliations[member_id], member_of) is not None}


def _blind_title(latest: tuple[str, Any] | None, current: leaks.Identity) -> str:
    """A title as the blind face shows it (``face.public_face`` would give the same)."""
    if latest is None:
        return ""
    title, frozen = latest
    return leaks.redact(title, leaks.union(face.from_json(frozen), current))


def _latest_titles(session: Session, proposal_ids: set[int]) -> dict[int, tuple[str, Any]]:
    """The title and frozen identity of each proposal's latest submitted
    version, read out of the database rather than decoding every whole version."""
    if not proposal_ids:
        return {}
    newest = (select(ProposalVersion.proposal_id, func.max(ProposalVersion.version_no).label("version_no"))
              .where(ProposalVersion.proposal_id.in_(proposal_ids)).group_by(ProposalVersion.proposal_id)
              .subquery())
    rows = session.execute(select(ProposalVersion.proposal_id, ProposalVersion.content["title"].as_string(),
                                  ProposalVersion.identity).join(
        newest, (ProposalVersion.proposal_id == newest.c.proposal_id)
        & (ProposalVersion.version_no == newest.c.version_no)))
    return {proposal_id: (title or "", frozen) for proposal_id, title, frozen in rows}


def _latest_review_versions(session: Session, review_ids: set[int]) -> dict[int, ReviewVersion]:
    if not review_ids:
        return {}
    newest = (select(ReviewVersion.review_id, func.max(ReviewVersion.version_no).label("version_no"))
              .where(ReviewVersion.review_id.in_(review_ids)).group_by(ReviewVersion.review_id).subquery())
    versions = session.scalars(select(ReviewVersion).join(
        newest, (ReviewVersion.review_id == newest.c.review_id) & (ReviewVersion.version_no == newest.c.version_no)))
    return {version.review_id: version for version in versions}


