"""Reviewer pseudonyms: "Reviewer A, B, …" (评审专家A), one letter per panel
member for a whole call, so that the public result, both of its records, the
exports and each group's feedback speak of the same reviewer alike – and
never by name.

The letters follow the panel members' ids among the members who had at
least one assignment in the call: an order that says nothing about who they
are, fixed once the review is over (no assignment is made after it)."""
from __future__ import annotations

import string

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.calls.models import Call
from venture.proposals.models import Proposal
from venture.review.models import Assignment


def reviewer_label(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA": enough letters for any panel."""
    letters = string.ascii_uppercase
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = letters[rest] + label
    return label


def label_index(label: str) -> int:
    """The inverse of :func:`reviewer_label`: "A" -> 0, "AA" -> 26."""
    index = 0
    for letter in label:
        index = index * 26 + string.ascii_uppercase.index(letter) + 1
    return index - 1


def reviewer_labels(session: Session, call: Call) -> dict[int, str]:
    """Panel member id -> the call's letter for them."""
    member_ids = session.scalars(select(Assignment.member_id).join(Proposal, Proposal.id == Assignment.proposal_id)
                                 .where(Proposal.call_id == call.id).distinct()
                                 .order_by(Assignment.member_id)).all()
    return {member_id: reviewer_label(index) for index, member_id in enumerate(member_ids)}
