"""What an applicant group learns from its reviewers once results are
published: each reviewer's criterion scores, reasons and comment to the
applicant, labelled "Reviewer A, B, …" with the call's letters (the same as
in the public result) – never a name, never the confidential note to the
organizer."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from venture.proposals.models import Proposal
from venture.results.pseudonyms import reviewer_label, reviewer_labels
from venture.review.models import Assignment, Review, ReviewStatus

__all__ = ["CriterionFeedback", "ReviewerFeedback", "for_proposal", "reviewer_label"]


@dataclass(frozen=True)
class CriterionFeedback:
    name: str
    max_points: Decimal
    score: str
    reason: str


@dataclass(frozen=True)
class ReviewerFeedback:
    label: str  # "A", "B", …
    criteria: tuple[CriterionFeedback, ...]
    comment: str
    total: str


def for_proposal(session: Session, proposal: Proposal) -> list[ReviewerFeedback]:
    """The latest submitted version of each live review of the proposal,
    in the order of the panel members' ids (a stable order that says nothing
    about who they are)."""
    assignments = session.scalars(
        select(Assignment).join(Review, Review.assignment_id == Assignment.id)
        .where(Assignment.proposal_id == proposal.id, Assignment.ended_at.is_(None),
               Review.status == ReviewStatus.SUBMITTED)
        .options(selectinload(Assignment.review).selectinload(Review.versions))
        .order_by(Assignment.member_id, Assignment.id)).all()
    criteria = {c.id: c for c in proposal.call.criteria}
    labels = reviewer_labels(session, proposal.call)
    out = []
    for assignment in assignments:
        review = assignment.review
        if review is None or not review.versions:
            continue
        content = review.versions[-1].content
        items = []
        for item in content.get("criteria", []):
            criterion = criteria.get(item.get("id"))
            if criterion is None:
                continue
            items.append(CriterionFeedback(name=criterion.name, max_points=criterion.max_points,
                                           score=str(item.get("score", "")), reason=str(item.get("reason") or "")))
        out.append(ReviewerFeedback(label=labels.get(assignment.member_id) or reviewer_label(len(out)),
                                    criteria=tuple(items),
                                    comment=str(content.get("comment") or ""), total=str(content.get("total") or "")))
    return out
