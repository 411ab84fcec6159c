"""Aggregation and the funding line against tables computed by hand."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from venture.results.aggregate import Method, ReviewScore, aggregate, disagreements, normalised_totals, reviewer_stats
from venture.results.funding import Adjustment, AdjustmentRefused, Entry, Outcome, funding_line


def r(reviewer, proposal, total, **criteria):
    return ReviewScore(reviewer, proposal, D(total), {int(k[1:]): D(v) for k, v in criteria.items()})


# Aggregation ------------------------------------------------------------------------

def test_mean_of_totals_and_criterion_means():
    reviews = [r(1, 10, "80", c1="8", c2="7.5"), r(2, 10, "70", c1="6", c2="8"), r(3, 10, "75.5", c1="7", c2="8")]
    score = aggregate([10], reviews, Method("mean"), required=3)[10]
    assert score.proposal_score == D("75.17")  # (80 + 70 + 75.5) / 3 = 75.1666…
    assert score.final == D("75.17")
    assert score.criteria_means == {1: D("7.00"), 2: D("7.83")}
    assert score.spread == D("10")
    assert score.notes == ()


def test_trimmed_mean_drops_one_highest_and_one_lowest_with_exactly_five():
    reviews = [r(i, 1, t) for i, t in enumerate(["90", "60", "70", "80", "75"], start=1)]
    score = aggregate([1], reviews, Method("trimmed"), required=5)[1]
    assert score.proposal_score == D("75.00")  # (70 + 80 + 75) / 3
    assert {u.reviewer for u in score.reviews if u.dropped} == {1, 2}
    assert "trimmed" in score.notes


def test_trimmed_mean_with_ties_drops_only_one_of_each():
    reviews = [r(i, 1, t) for i, t in enumerate(["80", "80", "70", "70", "75"], start=1)]
    score = aggregate([1], reviews, Method("trimmed"), required=5)[1]
    assert sum(u.dropped for u in score.reviews) == 2
    assert score.proposal_score == D("75.00")  # (80 + 70 + 75) / 3


def test_trimmed_mean_with_four_reviews_is_the_plain_mean():
    reviews = [r(i, 1, t) for i, t in enumerate(["90", "60", "70", "80"], start=1)]
    score = aggregate([1], reviews, Method("trimmed"), required=4)[1]
    assert score.proposal_score == D("75.00")
    assert not any(u.dropped for u in score.reviews)


def test_missing_reviews_are_reported_and_no_reviews_gives_no_score():
    scores = aggregate([1, 2], [r(1, 1, "60"), r(2, 1, "70")], Method("mean"), required=3)
    assert scores[1].proposal_score == D("65.00") and scores[1].missing == 1 and "incomplete" in scores[1].notes
    assert scores[2].proposal_score is None and scores[2].final is None and "no_reviews" in scores[2].notes


def test_normalisation_by_hand():
    # Reviewer 1 is harsh (50, 70), reviewer 2 lenient (80, 100); panel: mean 75, spread √325 ≈ 18.028.
    reviews = [r(1, 1, "50"), r(1, 2, "70"), r(2, 1, "80"), r(2, 2, "100")]
    adjusted, how = normalised_totals(reviews)
    assert how == {1: "scaled", 2: "scaled"}
    # reviewer 1: mean 60, spread 10 → z = −1, +1 → 75 ∓ 18.028
    assert adjusted[(1, 1)] == pytest.approx(75 - 18.02776, abs=1e-4)
    assert adjusted[(2, 1)] == pytest.approx(75 - 18.02776, abs=1e-4)
    scores = aggregate([1, 2], reviews, Method("mean", normalise=True), required=2)
    assert scores[1].proposal_score == D("56.97") and scores[2].proposal_score == D("93.03")


def test_normalisation_keeps_a_one_review_reviewer_raw_and_shifts_a_constant_one():
    reviews = [r(1, 1, "40"), r(2, 1, "60"), r(2, 2, "80"), r(3, 1, "70"), r(3, 2, "70")]
    adjusted, how = normalised_totals(reviews)
    assert how == {1: "raw", 2: "scaled", 3: "shifted"}
    assert adjusted[(1, 1)] == 40.0
    panel_mean = (40 + 60 + 80 + 70 + 70) / 5  # 64
    assert adjusted[(3, 1)] == pytest.approx(70 - 70 + panel_mean)


def test_composite_with_an_organizer_component():
    scores = aggregate([1, 2], [r(1, 1, "80"), r(1, 2, "60")], Method("mean", component_weight=D("0.7")),
                       required=1, components={1: D("90")})
    assert scores[1].final == D("87.00")  # 0.7 × 90 + 0.3 × 80
    assert scores[2].final is None and "no_component" in scores[2].notes


def test_disagreement_and_reviewer_statistics():
    reviews = [r(1, 1, "90"), r(2, 1, "60"), r(1, 2, "70"), r(2, 2, "72")]
    scores = aggregate([1, 2], reviews, Method(), required=2)
    assert disagreements(scores, D("20")) == [1]
    stats = reviewer_stats(reviews)
    assert stats[1].mean == D("80.00") and stats[1].offset == D("14.00")  # (90−60 + 70−72) / 2
    assert stats[2].offset == D("-14.00")


def test_unknown_method_and_bad_weight_are_refused():
    with pytest.raises(ValueError):
        Method("median")
    with pytest.raises(ValueError):
        Method(component_weight=D("1"))


# Funding line -----------------------------------------------------------------------

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def e(proposal, score, request, tie=None, minutes=0):
    return Entry(proposal, None if score is None else D(score), None if tie is None else D(tie),
                 T0 + timedelta(minutes=minutes), request)


def test_budget_exactly_spent():
    lines = funding_line([e(1, "90", 50_000), e(2, "80", 30_000), e(3, "70", 20_000)], 100_000, D(60))
    assert [line.outcome for line in lines] == [Outcome.FUNDED] * 3
    assert lines[-1].remaining_after_fen == 0


def test_a_request_larger_than_what_is_left_is_skipped_and_the_walk_goes_on():
    lines = funding_line([e(1, "90", 60_000), e(2, "85", 50_000), e(3, "80", 40_000)], 100_000, D(60))
    assert [(line.proposal, line.outcome) for line in lines] == [
        (1, Outcome.FUNDED), (2, Outcome.DOES_NOT_FIT), (3, Outcome.FUNDED)]
    assert lines[1].amount_fen == 0


def test_all_below_minimum():
    lines = funding_line([e(1, "59.99", 10), e(2, "40", 10), e(3, None, 10)], 1_000, D(60))
    assert {line.outcome for line in lines[:2]} == {Outcome.BELOW_MINIMUM}
    assert lines[2].outcome is Outcome.NO_SCORE and sum(line.amount_fen for line in lines) == 0


def test_ties_go_to_the_criterion_then_the_earlier_submission():
    lines = funding_line([e(1, "80", 10, tie="7", minutes=1), e(2, "80", 10, tie="8", minutes=5),
                          e(3, "80", 10, tie="7", minutes=0)], 1_000, D(60))
    assert [line.proposal for line in lines] == [2, 3, 1]


def test_lowered_amount_and_set_aside():
    entries = [e(1, "90", 60_000), e(2, "85", 50_000), e(3, "80", 40_000)]
    lines = funding_line(entries, 100_000, D(60), {
        1: Adjustment(amount_fen=50_000, reason="Equipment already owned"),
        3: Adjustment(set_aside=True, reason="Duplicate of a funded project")})
    assert [(line.outcome, line.amount_fen) for line in lines] == [
        (Outcome.FUNDED, 50_000), (Outcome.FUNDED, 50_000), (Outcome.SET_ASIDE, 0)]
    with pytest.raises(AdjustmentRefused):
        funding_line(entries, 100_000, D(60), {1: Adjustment(amount_fen=70_000, reason="more")})
    with pytest.raises(AdjustmentRefused):
        funding_line(entries, 100_000, D(60), {1: Adjustment(amount_fen=10, reason=" ")})
