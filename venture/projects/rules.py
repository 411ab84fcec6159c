"""The rules of funded projects as plain functions: no database, no request.

- the call's plan: its defaults and what makes it valid;
- tranche amounts from the plan, the moves a tranche may make and the
  conditions that gate them;
- the two-year bar's end, to the day in the project's time zone;
- the budget-change threshold;
- scores, the published aggregation method and the bands.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from venture.calls.models import CallKind
from venture.core.errors import DomainError, InvalidTransition
from venture.core.l10n import gettext as _
from venture.core.l10n import lazy_gettext as _l
from venture.projects.models import (
    Band,
    MilestoneKind,
    ReportStatus,
    TrancheCondition,
    TrancheStatus,
)

# Bands on the 100-point scale: 90 and above excellent, 60 to below 90 pass, below 60 fail.
EXCELLENT_FROM = Decimal(90)
PASS_FROM = Decimal(60)
BAR_YEARS = 2
TWO_PLACES = Decimal("0.01")
MAX_TRANCHES = 8
MAX_REPORTS = 12
MAX_DIMENSIONS = 12

DEFAULT_DIMENSIONS: list[tuple[str, Any, int]] = [
    ("basis", _l("Organisational basis"), 10),
    ("governance", _l("Internal governance"), 10),
    ("service", _l("Service management"), 20),
    ("finance", _l("Financial operation"), 15),
    ("relations", _l("External relations"), 10),
    ("outcomes", _l("Service outcomes"), 25),
]
DEFAULT_SATISFACTION_WEIGHT = 10


# The plan ------------------------------------------------------------------------------------

@dataclass
class ReportSpec:
    key: str
    title: str
    month: int
    kind: MilestoneKind


@dataclass
class TrancheSpec:
    label: str
    condition: TrancheCondition
    percent: Decimal | None = None
    amount_fen: int | None = None
    milestone: str | None = None  # a report's key, for "report accepted"


@dataclass
class DimensionSpec:
    key: str
    name: str
    weight: int


@dataclass
class PlanSpec:
    project_months: int
    reports: list[ReportSpec] = field(default_factory=list)
    tranches: list[TrancheSpec] = field(default_factory=list)
    dimensions: list[DimensionSpec] = field(default_factory=list)
    satisfaction_weight: int = DEFAULT_SATISFACTION_WEIGHT
    budget_change_percent: Decimal = Decimal(10)

    def as_json(self) -> dict[str, Any]:
        return {
            "project_months": self.project_months,
            "reports": [{"key": r.key, "title": r.title, "month": r.month, "kind": r.kind.value} for r in self.reports],
            "tranches": [tranche_json(t) for t in self.tranches],
            "dimensions": [{"key": d.key, "name": d.name, "weight": d.weight} for d in self.dimensions],
            "satisfaction_weight": self.satisfaction_weight,
            "budget_change_percent": format(Decimal(self.budget_change_percent).quantize(TWO_PLACES), "f"),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanSpec:
        return cls(
            project_months=int(data["project_months"]),
            reports=[ReportSpec(r["key"], r["title"], int(r["month"]), MilestoneKind(r["kind"]))
                     for r in data.get("reports") or []],
            tranches=[tranche_from_json(t) for t in data.get("tranches") or []],
            dimensions=[DimensionSpec(d["key"], d["name"], int(d["weight"])) for d in data.get("dimensions") or []],
            satisfaction_weight=int(data.get("satisfaction_weight") or 0),
            budget_change_percent=Decimal(str(data.get("budget_change_percent") or 0)),
        )


def tranche_json(spec: TrancheSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"label": spec.label, "condition": spec.condition.value}
    if spec.percent is not None:
        out["percent"] = format(Decimal(spec.percent).normalize(), "f")
    if spec.amount_fen is not None:
        out["amount_fen"] = int(spec.amount_fen)
    if spec.milestone:
        out["milestone"] = spec.milestone
    return out


def tranche_from_json(data: Mapping[str, Any]) -> TrancheSpec:
    return TrancheSpec(label=data["label"], condition=TrancheCondition(data["condition"]),
                       percent=Decimal(str(data["percent"])) if data.get("percent") is not None else None,
                       amount_fen=int(data["amount_fen"]) if data.get("amount_fen") is not None else None,
                       milestone=data.get("milestone"))


def default_plan(kind: CallKind) -> PlanSpec:
    """From practice: a year-long venture project, a six-month micro-livelihood
    one; a mid-term report half-way and a final one at the end; three tranches
    of 30/40/30 on signing, after the mid-term and after the final evaluation."""
    months = 12 if kind is CallKind.SOCIAL_VENTURE else 6
    return PlanSpec(
        project_months=months,
        reports=[ReportSpec("midterm", _("Mid-term report"), months // 2, MilestoneKind.MIDTERM),
                 ReportSpec("final", _("Final report"), months, MilestoneKind.FINAL)],
        tranches=[TrancheSpec(_("First tranche"), TrancheCondition.AGREEMENT_SIGNED, percent=Decimal(30)),
                  TrancheSpec(_("Second tranche"), TrancheCondition.MIDTERM_PASSED, percent=Decimal(40)),
                  TrancheSpec(_("Last tranche"), TrancheCondition.FINAL_PASSED, percent=Decimal(30))],
        dimensions=[DimensionSpec(key, str(name), weight) for key, name, weight in DEFAULT_DIMENSIONS],
        satisfaction_weight=DEFAULT_SATISFACTION_WEIGHT,
        budget_change_percent=Decimal(10),
    )


def plan_problems(spec: PlanSpec) -> list[DomainError]:
    """What keeps this plan from being published; empty when it holds."""
    found: list[DomainError] = []
    if not 1 <= spec.project_months <= 60:
        found.append(DomainError(_l("A project lasts from 1 to 60 months."), "project_months"))
    finals = [r for r in spec.reports if r.kind is MilestoneKind.FINAL]
    midterms = [r for r in spec.reports if r.kind is MilestoneKind.MIDTERM]
    if len(finals) != 1:
        found.append(DomainError(_l("The plan needs exactly one final report."), "reports"))
    if len(midterms) > 1:
        found.append(DomainError(_l("The plan has at most one mid-term report."), "reports"))
    if len(spec.reports) > MAX_REPORTS:
        found.append(DomainError(_l("A plan has at most %(n)d reports.", n=MAX_REPORTS), "reports"))
    if any(not 1 <= r.month <= spec.project_months for r in spec.reports):
        found.append(DomainError(_l("Every report falls within the project period (month 1 to %(n)d).",
                                    n=spec.project_months), "reports"))
    if finals and finals[0].month != spec.project_months:
        found.append(DomainError(_l("The final report is due at the end of the project period."), "reports"))
    if midterms and finals and midterms[0].month >= finals[0].month:
        found.append(DomainError(_l("The mid-term report comes before the final report."), "reports"))
    keys = [r.key for r in spec.reports]
    if len(set(keys)) != len(keys):
        found.append(DomainError(_l("Two reports have the same name."), "reports"))
    found.extend(_tranche_problems(spec, set(keys), bool(midterms)))
    found.extend(_dimension_problems(spec))
    if not Decimal(0) <= Decimal(spec.budget_change_percent) <= Decimal(100):
        found.append(DomainError(_l("The budget-change threshold is a share from 0 to 100%."),
                                 "budget_change_percent"))
    return found


def _tranche_problems(spec: PlanSpec, report_keys: set[str], has_midterm: bool) -> list[DomainError]:
    found: list[DomainError] = []
    if not spec.tranches:
        return [DomainError(_l("The plan needs at least one tranche."), "tranches")]
    if len(spec.tranches) > MAX_TRANCHES:
        found.append(DomainError(_l("A plan has at most %(n)d tranches.", n=MAX_TRANCHES), "tranches"))
    for tranche in spec.tranches:
        if (tranche.percent is None) == (tranche.amount_fen is None):
            found.append(DomainError(_l("Give each tranche either a share in percent or a fixed amount."),
                                     "tranches"))
            break
        if tranche.percent is not None and not Decimal(0) < tranche.percent <= Decimal(100):
            found.append(DomainError(_l("A tranche's share is more than 0 and at most 100%."), "tranches"))
            break
        if tranche.amount_fen is not None and tranche.amount_fen <= 0:
            found.append(DomainError(_l("A tranche's fixed amount must be more than zero."), "tranches"))
            break
        if tranche.condition is TrancheCondition.REPORT_ACCEPTED and tranche.milestone not in report_keys:
            found.append(DomainError(_l("Choose which report a tranche waits for."), "tranches"))
            break
        if tranche.condition is TrancheCondition.MIDTERM_PASSED and not has_midterm:
            found.append(DomainError(_l("A tranche waits for the mid-term evaluation, but the plan has no "
                                        "mid-term report."), "tranches"))
            break
    shares = [t.percent for t in spec.tranches if t.percent is not None]
    if shares and sum(shares) != Decimal(100):
        found.append(DomainError(_l("The tranches' shares add up to %(total)s%%; they must add up to 100%%.",
                                    total=format(sum(shares).normalize(), "f")), "tranches"))
    return found


def _dimension_problems(spec: PlanSpec) -> list[DomainError]:
    found: list[DomainError] = []
    if not spec.dimensions:
        return [DomainError(_l("The evaluation rubric needs at least one dimension."), "dimensions")]
    if len(spec.dimensions) > MAX_DIMENSIONS:
        found.append(DomainError(_l("A rubric has at most %(n)d dimensions.", n=MAX_DIMENSIONS), "dimensions"))
    if any(d.weight <= 0 for d in spec.dimensions):
        found.append(DomainError(_l("Every dimension needs a weight above zero."), "dimensions"))
    names = [d.name.strip().casefold() for d in spec.dimensions]
    if len(set(names)) != len(names) or len({d.key for d in spec.dimensions}) != len(spec.dimensions):
        found.append(DomainError(_l("Two dimensions have the same name."), "dimensions"))
    if not 0 <= spec.satisfaction_weight <= 100:
        found.append(DomainError(_l("The satisfaction component weighs from 0 to 100 points."),
                                 "satisfaction_weight"))
    total = sum(d.weight for d in spec.dimensions) + spec.satisfaction_weight
    if total != 100:
        found.append(DomainError(_l("The dimensions and the satisfaction component add up to %(total)d points; "
                                    "they must add up to 100.", total=total), "dimensions"))
    return found


# Tranches ------------------------------------------------------------------------------------

def planned_amounts(grant_fen: int, tranches: Sequence[TrancheSpec]) -> list[int]:
    """Each tranche's planned amount in fen, adding up to the grant exactly.

    Fixed amounts are taken first, in order, never beyond what is left of
    the grant; the shares then divide what remains (rounded down to the fen).
    Whatever rounding or the fixed amounts leave over goes to the last
    tranche, so the plan always pays the whole grant and never more."""
    grant_fen = max(0, int(grant_fen))
    amounts = [0] * len(tranches)
    left = grant_fen
    for index, spec in enumerate(tranches):
        if spec.amount_fen is not None:
            amounts[index] = min(int(spec.amount_fen), left)
            left -= amounts[index]
    base = left
    for index, spec in enumerate(tranches):
        if spec.percent is not None:
            share = (Decimal(base) * Decimal(spec.percent) / 100).to_integral_value(rounding=ROUND_DOWN)
            amounts[index] = min(int(share), left)
            left -= amounts[index]
    if amounts:
        amounts[-1] += left
    return amounts


# planned → released (condition met, organizer approves) → paid; withheld and back; cut is final.
TRANCHE_MOVES: dict[TrancheStatus, frozenset[TrancheStatus]] = {
    TrancheStatus.PLANNED: frozenset({TrancheStatus.RELEASED, TrancheStatus.WITHHELD, TrancheStatus.CUT}),
    TrancheStatus.RELEASED: frozenset({TrancheStatus.PAID, TrancheStatus.WITHHELD, TrancheStatus.CUT}),
    TrancheStatus.WITHHELD: frozenset({TrancheStatus.PLANNED, TrancheStatus.CUT}),
    TrancheStatus.PAID: frozenset(),
    TrancheStatus.CUT: frozenset(),
}


def check_tranche_move(current: TrancheStatus, to: TrancheStatus) -> None:
    if to not in TRANCHE_MOVES[current]:
        raise InvalidTransition(_l("A tranche cannot go from “%(a)s” to “%(b)s”.", a=current.label, b=to.label))


@dataclass(frozen=True)
class Facts:
    """What the tranche conditions look at, read off a project."""

    agreement_signed: bool = False
    midterm_passed: bool = False
    final_passed: bool = False
    accepted_reports: frozenset[str] = frozenset()
    failed: bool = False


def condition_holds(condition: TrancheCondition, milestone: str | None, facts: Facts) -> bool:
    if facts.failed or not facts.agreement_signed:
        return False  # nothing is paid before the agreement, nor after a failed evaluation
    if condition is TrancheCondition.AGREEMENT_SIGNED:
        return True
    if condition is TrancheCondition.MIDTERM_PASSED:
        return facts.midterm_passed
    if condition is TrancheCondition.FINAL_PASSED:
        return facts.final_passed
    return milestone is not None and milestone in facts.accepted_reports


def payment_problem(planned_fen: int, amount_fen: int, paid_elsewhere_fen: int, grant_fen: int) -> Any:
    """Why this payment may not be recorded, or None: more than zero, not more
    than the tranche's planned amount, and never beyond the grant in total."""
    if amount_fen <= 0:
        return _l("The amount paid must be more than zero.")
    if amount_fen > planned_fen:
        return _l("A tranche pays at most its planned amount.")
    if paid_elsewhere_fen + amount_fen > grant_fen:
        return _l("This payment would take the total paid beyond the grant.")
    return None


# Reports -------------------------------------------------------------------------------------

REPORT_MOVES: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.DUE: frozenset({ReportStatus.SUBMITTED}),
    ReportStatus.SUBMITTED: frozenset({ReportStatus.ACCEPTED, ReportStatus.CHANGES_REQUESTED}),
    ReportStatus.CHANGES_REQUESTED: frozenset({ReportStatus.RESUBMITTED}),
    ReportStatus.RESUBMITTED: frozenset({ReportStatus.ACCEPTED, ReportStatus.CHANGES_REQUESTED}),
    ReportStatus.ACCEPTED: frozenset(),
}

REPORT_SECTIONS: list[tuple[str, Any]] = [
    ("activities", _l("Activities held")),
    ("beneficiaries", _l("People served")),
    ("team", _l("Staff and volunteers")),
    ("spending", _l("Spending per budget line")),
    ("files", _l("Photos and documents")),
    ("receipts", _l("Receipts")),
]
SECTION_KEYS = frozenset(key for key, _label in REPORT_SECTIONS)


def check_report_move(current: ReportStatus, to: ReportStatus) -> None:
    if to not in REPORT_MOVES[current]:
        raise InvalidTransition(_l("A report cannot go from “%(a)s” to “%(b)s”.", a=current.label, b=to.label))


# Dates ----------------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day if it has none (31 January + 1 = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(starts_on: date, months: int) -> date:
    """The last day of a period of ``months`` starting on ``starts_on`` (1 March + 12 months → 28 February)."""
    return add_months(starts_on, months) - timedelta(days=1)


def deadline(due_on: date, zone: str) -> datetime:
    """The moment a day ends in a zone (its last day included): the next day's midnight, as UTC."""
    return datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def same_day_years_later(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 1 March in a common year
    (the bar then runs through the whole of 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def bar_ends_at(finalised_at: datetime, zone: str) -> datetime:
    """The end of a two-year bar from an evaluation finalised at ``finalised_at``:
    the group may apply again from the start (00:00) of the same calendar day
    two years on, in the project's time zone. Finalised on 10 March 2026 at any
    hour (Shanghai time), barred until 9 March 2028 included."""
    day = local_day(finalised_at, zone)
    end = same_day_years_later(day, BAR_YEARS)
    return datetime.combine(end, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


# Budget changes ----------------------------------------------------------------------------

def current_budget(approved: Sequence[int], changes: Iterable[tuple[int, int, int]]) -> list[int]:
    """The approved lines with the changes in force applied: (from line, to line, amount)."""
    lines = [int(v) for v in approved]
    for source, target, amount in changes:
        lines[source] -= amount
        lines[target] += amount
    return lines


def budget_change_problem(current: Sequence[int], source: int, target: int, amount: int) -> Any:
    if not (0 <= source < len(current) and 0 <= target < len(current)) or source == target:
        return _l("Choose two different lines of the budget.")
    if amount <= 0:
        return _l("Enter an amount above zero.")
    if amount > current[source]:
        return _l("The line has less than that left to move.")
    return None


def needs_approval(approved: Sequence[int], current: Sequence[int], source: int, target: int, amount: int,
                   threshold_percent: Decimal | int | str) -> bool:
    """Whether moving ``amount`` from one line to another takes either line
    further from its approved amount than the call's threshold (a share of
    that line's approved amount). Exactly at the threshold is still within it."""
    threshold = Decimal(str(threshold_percent))
    after = list(current)
    after[source] -= amount
    after[target] += amount
    for line in (source, target):
        allowed = Decimal(approved[line]) * threshold / 100
        if Decimal(abs(after[line] - approved[line])) > allowed:
            return True
    return False


def scale_budget(lines: Sequence[tuple[str, int]], total_fen: int) -> list[dict[str, Any]]:
    """Budget lines brought to an approved total lower than requested, in
    proportion (rounded down; the remainder to the largest line)."""
    requested = sum(amount for _item, amount in lines)
    if not lines:
        return [{"item": str(_l("Grant")), "amount_fen": total_fen}]
    if requested == total_fen or requested <= 0:
        return [{"item": item, "amount_fen": amount} for item, amount in lines]
    scaled = [int(Decimal(amount) * total_fen / requested) for _item, amount in lines]
    largest = max(range(len(lines)), key=lambda i: lines[i][1])
    scaled[largest] += total_fen - sum(scaled)
    return [{"item": item, "amount_fen": amount} for (item, _old), amount in zip(lines, scaled, strict=True)]


# Scores ----------------------------------------------------------------------------------

def band(score: Decimal | int | str) -> Band:
    value = Decimal(str(score))
    if value >= EXCELLENT_FROM:
        return Band.EXCELLENT
    if value >= PASS_FROM:
        return Band.PASS
    return Band.FAIL


def parse_points(text: Any, maximum: int) -> Decimal | None:
    """Points given on a dimension: a number from 0 to its weight with at most
    one decimal place; None when it is not one."""
    try:
        value = Decimal(str(text).strip().replace("，", ".").replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0 or value > maximum or value != value.quantize(Decimal("0.1")):
        return None
    return value.quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Aggregate:
    means: dict[str, Decimal]  # per dimension key, unrounded
    evaluator_points: Decimal  # the sum of the means
    satisfaction_points: Decimal
    score: Decimal  # rounded to two places
    band: Band
    sheets: int


def aggregate(dimensions: Sequence[Mapping[str, Any]], sheets: Sequence[Mapping[str, Any]],
              satisfaction_weight: int, satisfaction_value: Decimal | None) -> Aggregate:
    """The published method: the mean of the counted evaluators' points on
    each dimension, the means added up, plus the satisfaction component (the
    share of beneficiaries satisfied, 0–100, times its weight / 100); the sum
    rounded half up to two places decides the band."""
    if not sheets:
        raise DomainError(_l("No evaluator has submitted a score sheet yet."))
    means: dict[str, Decimal] = {}
    for dimension in dimensions:
        key = dimension["key"]
        means[key] = sum((Decimal(str(sheet[key])) for sheet in sheets), Decimal(0)) / len(sheets)
    evaluator_points = sum(means.values(), Decimal(0))
    satisfaction = Decimal(0)
    if satisfaction_weight:
        if satisfaction_value is None:
            raise DomainError(_l("Enter the beneficiaries' satisfaction before finalising."), "satisfaction")
        satisfaction = Decimal(str(satisfaction_value)) * satisfaction_weight / 100
    score = (evaluator_points + satisfaction).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return Aggregate(means, evaluator_points, satisfaction, score, band(score), len(sheets))


def two_places(value: Decimal | int | str) -> str:
    return format(Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP), "f")
