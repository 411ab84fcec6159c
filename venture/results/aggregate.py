"""From reviews to one score per proposal, by the method the call published.

Pure functions on plain numbers, no database. Every score comes with the
numbers that made it, so the organizer and, later, the public can follow it.

Methods
- ``mean``: the mean of the reviewers' weighted totals (each total is already
  the rubric's weighted sum out of 100).
- ``trimmed``: as ``mean``, but with five or more reviews the highest and the
  lowest total are dropped first (one of each, even when tied).

Options
- ``normalise``: before averaging, each reviewer's totals are moved onto the
  panel's scale: z = (t − reviewer mean) / reviewer spread, rescaled to the
  panel's mean and spread. A reviewer with a single review has no spread of
  their own to correct, and one whose totals are all equal has none either;
  the first keeps their raw total, the second is only shifted by the
  difference between the panel's mean and theirs. Both are reported.
- ``composite``: final = component weight × organizer-entered component
  (0–100) + (1 − component weight) × proposal score. A proposal without the
  component gets no final score and is reported as such.

Spreads are population standard deviations. Results are Decimals rounded half
up to two places only at the end.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")
TRIM_FROM = 5
TRIM_EACH_SIDE = 1  # how many of the highest and of the lowest totals the trimmed mean leaves out
METHODS = ("mean", "trimmed")


def rounded(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ReviewScore:
    """One submitted review: who (a panel member id), of what, the weighted
    total and the per-criterion scores."""

    reviewer: int
    proposal: int
    total: Decimal
    criteria: Mapping[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Method:
    name: str = "mean"
    normalise: bool = False
    component_weight: Decimal = Decimal(0)  # 0 means no composite

    def __post_init__(self) -> None:
        if self.name not in METHODS:
            raise ValueError(f"unknown aggregation method {self.name!r}")
        if not Decimal(0) <= self.component_weight < Decimal(1):
            raise ValueError("the component weight is a fraction from 0 up to, not including, 1")


@dataclass(frozen=True)
class UsedReview:
    reviewer: int
    raw: Decimal
    used: Decimal  # after normalisation (equal to raw without it), rounded for display
    dropped: bool  # trimmed away
    value: float = 0.0  # what was averaged, unrounded (published, so the mean can be recomputed exactly)


@dataclass(frozen=True)
class ProposalScore:
    proposal: int
    reviews: tuple[UsedReview, ...]
    proposal_score: Decimal | None  # the reviews' part
    component: Decimal | None
    final: Decimal | None
    criteria_means: dict[int, Decimal]
    spread: Decimal | None  # highest total − lowest total (raw)
    missing: int  # reviews still expected
    notes: tuple[str, ...]  # machine-readable: "trimmed", "incomplete", "no_reviews", "no_component"
    exact: float | None = None  # the reviews' part before rounding


@dataclass(frozen=True)
class ReviewerStats:
    reviewer: int
    count: int
    mean: Decimal
    spread: Decimal
    offset: Decimal  # mean of (own total − the mean of the other reviewers of the same proposal)
    normalisation: str  # "scaled", "shifted" or "raw"


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _spread(values: Sequence[float]) -> float:
    mean = _mean(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def normalised_totals(reviews: Sequence[ReviewScore]) -> tuple[dict[tuple[int, int], float], dict[int, str]]:
    """Each (reviewer, proposal) total moved onto the panel's scale, and how
    each reviewer was treated."""
    if not reviews:
        return {}, {}
    everything = [float(r.total) for r in reviews]
    panel_mean, panel_spread = _mean(everything), _spread(everything)
    by_reviewer: dict[int, list[ReviewScore]] = defaultdict(list)
    for review in reviews:
        by_reviewer[review.reviewer].append(review)
    out: dict[tuple[int, int], float] = {}
    how: dict[int, str] = {}
    for reviewer, own in by_reviewer.items():
        totals = [float(r.total) for r in own]
        mean, spread = _mean(totals), _spread(totals)
        for review in own:
            raw = float(review.total)
            if len(own) == 1:
                value, how[reviewer] = raw, "raw"
            elif spread == 0:
                value, how[reviewer] = raw - mean + panel_mean, "shifted"
            else:
                value, how[reviewer] = panel_mean + panel_spread * (raw - mean) / spread, "scaled"
            out[(reviewer, review.proposal)] = min(100.0, max(0.0, value))
    return out, how


def aggregate(proposals: Sequence[int], reviews: Sequence[ReviewScore], method: Method,
              required: int, components: Mapping[int, Decimal] | None = None) -> dict[int, ProposalScore]:
    """One ``ProposalScore`` per proposal id in ``proposals``."""
    components = components or {}
    adjusted, _how = normalised_totals(reviews) if method.normalise else ({}, {})
    by_proposal: dict[int, list[ReviewScore]] = defaultdict(list)
    for review in reviews:
        by_proposal[review.proposal].append(review)
    results: dict[int, ProposalScore] = {}
    for proposal in proposals:
        own = sorted(by_proposal.get(proposal, []), key=lambda r: (r.total, r.reviewer))
        notes: list[str] = []
        used = [(r, adjusted.get((r.reviewer, proposal), float(r.total))) for r in own]
        dropped: set[int] = set()
        if method.name == "trimmed" and len(used) >= TRIM_FROM:
            ordered = sorted(used, key=lambda pair: (pair[1], pair[0].reviewer))
            dropped = {review.reviewer for review, _value in
                       ordered[:TRIM_EACH_SIDE] + ordered[len(ordered) - TRIM_EACH_SIDE:]}
            notes.append("trimmed")
        kept = [value for review, value in used if review.reviewer not in dropped]
        exact = _mean(kept) if kept else None
        score = rounded(exact) if exact is not None else None
        if not own:
            notes.append("no_reviews")
        if len(own) < required:
            notes.append("incomplete")
        component = components.get(proposal)
        final = score
        if method.component_weight and score is not None:
            if component is None:
                final = None
                notes.append("no_component")
            else:
                weight = method.component_weight
                final = rounded(weight * Decimal(component) + (1 - weight) * score)
        criteria: dict[int, list[Decimal]] = defaultdict(list)
        for review in own:
            for criterion, value in review.criteria.items():
                criteria[criterion].append(Decimal(value))
        results[proposal] = ProposalScore(
            proposal=proposal,
            reviews=tuple(UsedReview(r.reviewer, r.total, rounded(value), r.reviewer in dropped, value)
                          for r, value in used),
            proposal_score=score, component=component, final=final,
            criteria_means={c: rounded(sum(v) / len(v)) for c, v in sorted(criteria.items())},
            spread=(own[-1].total - own[0].total) if own else None,
            missing=max(0, required - len(own)), notes=tuple(notes), exact=exact)
    return results


def disagreements(scores: Mapping[int, ProposalScore], threshold: Decimal) -> list[int]:
    """Proposals whose highest and lowest totals lie more than ``threshold`` apart."""
    return sorted(p for p, s in scores.items() if s.spread is not None and s.spread > threshold)


def reviewer_stats(reviews: Sequence[ReviewScore]) -> dict[int, ReviewerStats]:
    """For the organizer only: how each reviewer scores compared with the panel."""
    _adjusted, how = normalised_totals(reviews)
    by_reviewer: dict[int, list[ReviewScore]] = defaultdict(list)
    by_proposal: dict[int, list[ReviewScore]] = defaultdict(list)
    for review in reviews:
        by_reviewer[review.reviewer].append(review)
        by_proposal[review.proposal].append(review)
    stats = {}
    for reviewer, own in sorted(by_reviewer.items()):
        totals = [float(r.total) for r in own]
        offsets = []
        for review in own:
            others = [float(o.total) for o in by_proposal[review.proposal] if o.reviewer != reviewer]
            if others:
                offsets.append(float(review.total) - _mean(others))
        stats[reviewer] = ReviewerStats(
            reviewer=reviewer, count=len(own), mean=rounded(_mean(totals)), spread=rounded(_spread(totals)),
            offset=rounded(_mean(offsets)) if offsets else Decimal(0), normalisation=how[reviewer])
    return stats
