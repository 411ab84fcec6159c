"""The funding line (资助线): who is funded, with how much, and why not.

Proposals are ranked by final score; ties go to the higher score on the
call's tie-break criterion, then to the earlier first submission, then to the
lower id (so the order is total). Walking down the ranking, each proposal is
funded with its request (or the organizer's lowered amount) while the budget
lasts; a proposal below the minimum score, one without a score, one set
aside by the organizer, and one whose amount no longer fits in what is left
are skipped, and the walk goes on to the next.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


class Outcome(enum.StrEnum):
    FUNDED = "funded"
    BELOW_MINIMUM = "below_minimum"
    NO_SCORE = "no_score"
    SET_ASIDE = "set_aside"
    DOES_NOT_FIT = "does_not_fit"


@dataclass(frozen=True)
class Entry:
    proposal: int
    score: Decimal | None
    tie_score: Decimal | None  # the mean on the tie-break criterion
    first_submitted_at: datetime
    request_fen: int


@dataclass(frozen=True)
class Adjustment:
    """An organizer's decision on one line: a lowered amount, or set aside."""

    amount_fen: int | None = None
    set_aside: bool = False
    reason: str = ""


@dataclass(frozen=True)
class Line:
    rank: int
    proposal: int
    score: Decimal | None
    request_fen: int
    amount_fen: int  # 0 unless funded
    outcome: Outcome
    adjusted: bool
    remaining_after_fen: int


class AdjustmentRefused(ValueError):
    pass


def check_adjustment(entry: Entry, adjustment: Adjustment) -> None:
    if not adjustment.reason.strip():
        raise AdjustmentRefused("a reason is required")
    if adjustment.set_aside:
        return
    if adjustment.amount_fen is None or not 0 < adjustment.amount_fen <= entry.request_fen:
        raise AdjustmentRefused("the amount must be above zero and not above the request")


def ranking_key(entry: Entry) -> tuple[int, Decimal, Decimal, datetime, int]:
    has_score = 0 if entry.score is not None else 1
    return (has_score, -(entry.score or Decimal(0)), -(entry.tie_score or Decimal(0)),
            entry.first_submitted_at, entry.proposal)


def funding_line(entries: Sequence[Entry], budget_fen: int, minimum_score: Decimal,
                 adjustments: Mapping[int, Adjustment] | None = None) -> list[Line]:
    adjustments = adjustments or {}
    for entry in entries:
        if entry.proposal in adjustments:
            check_adjustment(entry, adjustments[entry.proposal])
    remaining = budget_fen
    lines = []
    for rank, entry in enumerate(sorted(entries, key=ranking_key), start=1):
        adjustment = adjustments.get(entry.proposal)
        amount = entry.request_fen
        if adjustment is not None and not adjustment.set_aside and adjustment.amount_fen is not None:
            amount = adjustment.amount_fen
        if entry.score is None:
            outcome = Outcome.NO_SCORE
        elif entry.score < minimum_score:
            outcome = Outcome.BELOW_MINIMUM
        elif adjustment is not None and adjustment.set_aside:
            outcome = Outcome.SET_ASIDE
        elif amount > remaining:
            outcome = Outcome.DOES_NOT_FIT
        else:
            outcome = Outcome.FUNDED
            remaining -= amount
        lines.append(Line(rank=rank, proposal=entry.proposal, score=entry.score, request_fen=entry.request_fen,
                          amount_fen=amount if outcome is Outcome.FUNDED else 0, outcome=outcome,
                          adjusted=adjustment is not None, remaining_after_fen=remaining))
    return lines
