"""The rules of funded projects, as plain functions: tranche amounts and
gating, the bands, the two-year bar at its boundaries, the budget-change
threshold, the aggregation method and the plan's validity."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from venture.calls.models import CallKind
from venture.core.errors import DomainError, InvalidTransition
from venture.projects.models import Band, MilestoneKind, TrancheCondition, TrancheStatus
from venture.projects.rules import (
    Facts,
    PlanSpec,
    ReportSpec,
    TrancheSpec,
    add_months,
    aggregate,
    band,
    bar_ends_at,
    budget_change_problem,
    check_tranche_move,
    condition_holds,
    current_budget,
    deadline,
    default_plan,
    needs_approval,
    parse_points,
    payment_problem,
    period_end,
    plan_problems,
    planned_amounts,
    scale_budget,
)


@pytest.fixture(autouse=True)
def _app(bare_app):
    """Messages are lazy strings and plans are built in a request's language."""
    yield


# Tranche amounts -------------------------------------------------------------------------

def _shares(*percents):
    return [TrancheSpec("t", TrancheCondition.AGREEMENT_SIGNED, percent=Decimal(p)) for p in percents]


def test_30_40_30_of_a_grant_adds_up_to_the_grant():
    assert planned_amounts(1_000_000, _shares(30, 40, 30)) == [300_000, 400_000, 300_000]
    # Rounding never loses or adds a fen: the last tranche takes what the others leave.
    amounts = planned_amounts(1_000_001, _shares(30, 40, 30))
    assert amounts == [300_000, 400_000, 300_001] and sum(amounts) == 1_000_001
    assert sum(planned_amounts(3_333_333, _shares(33.3, 33.3, 33.4))) == 3_333_333


def test_fixed_amounts_come_first_and_never_beyond_the_grant():
    specs = [TrancheSpec("on signing", TrancheCondition.AGREEMENT_SIGNED, amount_fen=200_000),
             *_shares(50, 50)]
    assert planned_amounts(1_000_000, specs) == [200_000, 400_000, 400_000]
    # A fixed amount larger than the (lowered) grant is capped; the rest get nothing, and the total holds.
    assert planned_amounts(150_000, specs) == [150_000, 0, 0]
    only_fixed = [TrancheSpec("a", TrancheCondition.AGREEMENT_SIGNED, amount_fen=100_000),
                  TrancheSpec("b", TrancheCondition.FINAL_PASSED, amount_fen=100_000)]
    assert planned_amounts(500_000, only_fixed) == [100_000, 400_000], "the last tranche is the balance"


# Tranche gating ----------------------------------------------------------------------------

def test_tranche_moves():
    check_tranche_move(TrancheStatus.PLANNED, TrancheStatus.RELEASED)
    check_tranche_move(TrancheStatus.RELEASED, TrancheStatus.PAID)
    check_tranche_move(TrancheStatus.WITHHELD, TrancheStatus.PLANNED)
    for current, to in [(TrancheStatus.PLANNED, TrancheStatus.PAID), (TrancheStatus.PAID, TrancheStatus.CUT),
                        (TrancheStatus.CUT, TrancheStatus.PLANNED), (TrancheStatus.WITHHELD, TrancheStatus.PAID),
                        (TrancheStatus.PAID, TrancheStatus.RELEASED)]:
        with pytest.raises(InvalidTransition):
            check_tranche_move(current, to)


def test_conditions_gate_on_the_agreement_the_evaluations_and_the_reports():
    nothing = Facts()
    signed = Facts(agreement_signed=True)
    assert not condition_holds(TrancheCondition.AGREEMENT_SIGNED, None, nothing)
    assert condition_holds(TrancheCondition.AGREEMENT_SIGNED, None, signed)
    assert not condition_holds(TrancheCondition.MIDTERM_PASSED, None, signed)
    assert condition_holds(TrancheCondition.MIDTERM_PASSED, None, Facts(agreement_signed=True, midterm_passed=True))
    assert not condition_holds(TrancheCondition.FINAL_PASSED, None, Facts(agreement_signed=True, midterm_passed=True))
    accepted = Facts(agreement_signed=True, accepted_reports=frozenset({"r1"}))
    assert condition_holds(TrancheCondition.REPORT_ACCEPTED, "r1", accepted)
    assert not condition_holds(TrancheCondition.REPORT_ACCEPTED, "r2", accepted)
    # Nothing before the agreement is signed, whatever else holds; nothing after a failed evaluation.
    assert not condition_holds(TrancheCondition.MIDTERM_PASSED, None, Facts(midterm_passed=True))
    assert not condition_holds(TrancheCondition.AGREEMENT_SIGNED, None, Facts(agreement_signed=True, failed=True))


def test_nothing_is_paid_beyond_the_tranche_or_the_grant():
    assert payment_problem(300_000, 300_000, 0, 1_000_000) is None
    assert payment_problem(300_000, 250_000, 700_000, 1_000_000) is None
    assert payment_problem(300_000, 300_001, 0, 1_000_000) is not None
    assert payment_problem(300_000, 300_000, 700_001, 1_000_000) is not None
    assert payment_problem(300_000, 0, 0, 1_000_000) is not None


# Bands ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("score,expected", [
    ("100", Band.EXCELLENT), ("90", Band.EXCELLENT), ("90.00", Band.EXCELLENT), ("89.99", Band.PASS),
    ("60", Band.PASS), ("60.00", Band.PASS), ("59.99", Band.FAIL), ("0", Band.FAIL)])
def test_bands(score, expected):
    assert band(score) is expected


# The two-year bar ---------------------------------------------------------------------------

def test_the_bar_runs_two_years_to_the_day_in_shanghai_time():
    # 10 March 2026, 15:00 in Shanghai: barred through 9 March 2028, free from 10 March 2028 00:00 Shanghai.
    finalised = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    ends = bar_ends_at(finalised, "Asia/Shanghai")
    assert ends == datetime(2028, 3, 9, 16, 0, tzinfo=UTC)
    assert ends - timedelta(microseconds=1) < ends  # the boundary is exclusive: checked in is_active below


def test_the_day_is_the_local_one_not_utc():
    # 9 March 2026 23:30 UTC is already 10 March (07:30) in Shanghai.
    late = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    assert bar_ends_at(late, "Asia/Shanghai") == datetime(2028, 3, 9, 16, 0, tzinfo=UTC)
    # 10 March 2026 15:59 UTC is 23:59 in Shanghai, still the 10th; at 16:00 UTC it is the 11th.
    assert bar_ends_at(datetime(2026, 3, 10, 15, 59, tzinfo=UTC), "Asia/Shanghai") == \
        datetime(2028, 3, 9, 16, 0, tzinfo=UTC)
    assert bar_ends_at(datetime(2026, 3, 10, 16, 0, tzinfo=UTC), "Asia/Shanghai") == \
        datetime(2028, 3, 10, 16, 0, tzinfo=UTC)


def test_a_bar_from_29_february_ends_on_1_march():
    finalised = datetime(2028, 2, 29, 4, 0, tzinfo=UTC)  # noon in Shanghai
    assert bar_ends_at(finalised, "Asia/Shanghai") == datetime(2030, 2, 28, 16, 0, tzinfo=UTC)


def test_a_bar_is_active_up_to_but_not_at_its_end():
    from venture.projects.models import ParticipationBar

    finalised = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    bar = ParticipationBar(starts_at=finalised, ends_at=bar_ends_at(finalised, "Asia/Shanghai"),
                           timezone="Asia/Shanghai")
    assert not bar.is_active(finalised - timedelta(seconds=1))
    assert bar.is_active(finalised)
    assert bar.is_active(datetime(2028, 3, 9, 15, 59, 59, 999999, tzinfo=UTC))
    assert not bar.is_active(datetime(2028, 3, 9, 16, 0, tzinfo=UTC))
    assert bar.last_day == date(2028, 3, 9)
    bar.lifted_at = finalised + timedelta(days=3)
    assert not bar.is_active(finalised + timedelta(days=10))


# Dates -----------------------------------------------------------------------------------------

def test_periods_and_deadlines():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert period_end(date(2026, 3, 1), 12) == date(2027, 2, 28)
    assert period_end(date(2026, 3, 15), 6) == date(2026, 9, 14)
    # A report due on 30 June may come in until the end of that day in Shanghai.
    assert deadline(date(2026, 6, 30), "Asia/Shanghai") == datetime(2026, 6, 30, 16, 0, tzinfo=UTC)


# The budget-change threshold ---------------------------------------------------------------

def test_a_change_within_the_threshold_needs_no_approval_and_one_beyond_it_does():
    approved = [100_000, 50_000, 50_000]
    # 10%: line 0 may lose up to 10,000 fen, line 1 gain up to 5,000.
    assert not needs_approval(approved, approved, 0, 1, 5_000, 10)
    assert needs_approval(approved, approved, 0, 1, 5_001, 10), "line 1 would move 10.002% from its amount"
    assert not needs_approval(approved, approved, 1, 0, 5_000, "10.00"), "exactly at the threshold is within it"
    # Changes add up: after one change in force, a second small one crosses the threshold.
    current = current_budget(approved, [(0, 1, 4_000)])
    assert current == [96_000, 54_000, 50_000]
    assert needs_approval(approved, current, 0, 1, 2_000, 10)
    # Moving money back towards the approved amount is within any threshold.
    assert not needs_approval(approved, current, 1, 0, 4_000, 0)
    # A threshold of 0: every change away from the approved budget waits for the organizers.
    assert needs_approval(approved, approved, 0, 2, 1, 0)


def test_a_change_must_name_two_lines_and_fit_in_the_source():
    current = [100, 50]
    assert budget_change_problem(current, 0, 1, 100) is None
    assert budget_change_problem(current, 0, 1, 101) is not None
    assert budget_change_problem(current, 0, 0, 10) is not None
    assert budget_change_problem(current, 0, 5, 10) is not None
    assert budget_change_problem(current, 0, 1, 0) is not None


def test_a_lowered_grant_scales_the_budget_lines_exactly():
    lines = scale_budget([("staff", 600_000), ("materials", 300_000), ("venue", 100_000)], 800_000)
    assert sum(line["amount_fen"] for line in lines) == 800_000
    assert [line["amount_fen"] for line in lines] == [480_000, 240_000, 80_000]
    odd = scale_budget([("a", 1), ("b", 1), ("c", 1)], 2)
    assert sum(line["amount_fen"] for line in odd) == 2
    same = scale_budget([("a", 5), ("b", 7)], 12)
    assert [line["amount_fen"] for line in same] == [5, 7]


# Scores and the method ------------------------------------------------------------------------

def test_points_are_within_the_weight_with_one_decimal_place():
    assert parse_points("8.5", 10) == Decimal("8.5")
    assert parse_points("10", 10) == Decimal("10.0")
    assert parse_points("0", 10) == Decimal("0.0")
    for bad in ("10.5", "-1", "8.25", "abc", "", "NaN", "Infinity"):
        assert parse_points(bad, 10) is None, bad


DIMENSIONS = [{"key": "basis", "name": "组织基础", "weight": 40}, {"key": "outcomes", "name": "服务成效", "weight": 50}]


def test_the_method_means_per_dimension_plus_satisfaction():
    sheets = [{"basis": "36", "outcomes": "45"}, {"basis": "34", "outcomes": "40"}]
    result = aggregate(DIMENSIONS, sheets, 10, Decimal("92"))
    assert result.means == {"basis": Decimal(35), "outcomes": Decimal("42.5")}
    assert result.satisfaction_points == Decimal("9.2")
    assert result.score == Decimal("86.70") and result.band is Band.PASS


def test_rounding_happens_once_at_the_end_and_decides_the_band():
    # The means are added unrounded; only the total is rounded (half up), and the rounded total decides.
    sheets = [{"basis": "40", "outcomes": "49.9"}, {"basis": "40", "outcomes": "50"}, {"basis": "40", "outcomes": "50"}]
    result = aggregate(DIMENSIONS, sheets, 10, Decimal("0"))
    assert result.score == Decimal("89.97") and result.band is Band.PASS
    excellent = aggregate(DIMENSIONS, [{"basis": "40", "outcomes": "40"}], 10, Decimal("100"))
    assert excellent.score == Decimal("90.00") and excellent.band is Band.EXCELLENT
    failing = aggregate(DIMENSIONS, [{"basis": "20", "outcomes": "30"}, {"basis": "20", "outcomes": "29.9"}], 10,
                        Decimal("99.9"))
    assert failing.score == Decimal("59.94") and failing.band is Band.FAIL


def test_the_method_needs_sheets_and_the_satisfaction_it_weighs():
    with pytest.raises(DomainError):
        aggregate(DIMENSIONS, [], 10, Decimal(90))
    with pytest.raises(DomainError):
        aggregate(DIMENSIONS, [{"basis": "1", "outcomes": "1"}], 10, None)
    no_survey = aggregate([{"key": "all", "name": "x", "weight": 100}], [{"all": "75"}], 0, None)
    assert no_survey.score == Decimal("75.00")


# The plan ----------------------------------------------------------------------------------

def test_the_default_plans_hold():
    for kind in CallKind:
        plan = default_plan(kind)
        assert plan_problems(plan) == []
        assert sum(d.weight for d in plan.dimensions) + plan.satisfaction_weight == 100
        assert [t.percent for t in plan.tranches] == [Decimal(30), Decimal(40), Decimal(30)]
        assert PlanSpec.from_json(plan.as_json()).as_json() == plan.as_json()


def _problems(**changes):
    plan = default_plan(CallKind.SOCIAL_VENTURE)
    for name, value in changes.items():
        setattr(plan, name, value)
    return [str(p.message) for p in plan_problems(plan)]


def test_plan_problems():
    assert _problems(satisfaction_weight=20)  # 110 points
    assert _problems(tranches=_shares(30, 40))  # 70%
    assert _problems(tranches=[])
    assert _problems(reports=[ReportSpec("final", "Final", 6, MilestoneKind.FINAL)])  # not at the end (12)
    assert _problems(reports=[ReportSpec("m", "Mid", 8, MilestoneKind.MIDTERM),
                              ReportSpec("final", "Final", 6, MilestoneKind.FINAL)])
    assert _problems(tranches=[TrancheSpec("t", TrancheCondition.REPORT_ACCEPTED, percent=Decimal(100),
                                           milestone="nope")])
    assert _problems(reports=[ReportSpec("final", "Final", 12, MilestoneKind.FINAL)])  # midterm tranche, no midterm
    assert _problems(budget_change_percent=Decimal(101))
    assert not _problems(reports=[ReportSpec("final", "Final", 12, MilestoneKind.FINAL)],
                         tranches=[TrancheSpec("t", TrancheCondition.AGREEMENT_SIGNED, percent=Decimal(50)),
                                   TrancheSpec("u", TrancheCondition.REPORT_ACCEPTED, percent=Decimal(50),
                                               milestone="final")])
