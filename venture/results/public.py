"""What the public may see of a result, decided in one place.

One embargo: before the organizer opens the public notice, nothing of a
call's result exists in public – no status, order, score, amount or outcome.
From the notice on, the public sees the frozen :class:`ResultRecord` (the
proposed result, then the final one), never a recomputation, and only the
fields listed here: whatever else a record may carry stays with the organizers.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.calls.models import Call, Phase
from venture.core.l10n import lazy_gettext as _l
from venture.proposals import leaks
from venture.results.models import ResultRecord, ResultStage

RESULT_PHASES = frozenset({Phase.NOTICE, Phase.PUBLISHED})

# The fields of a record the public sees; anything else in a record stays out.
METHOD_FIELDS = ("name", "normalise", "component_weight", "component_label", "minimum_score", "budget_fen",
                 "reviewers_per_proposal", "disagreement_threshold", "tie_criterion")
CRITERION_FIELDS = ("position", "name", "weight", "max_points")
LINE_FIELDS = ("rank", "proposal", "number", "title", "group", "group_kind", "theme", "district", "request_fen",
               "amount_fen", "outcome", "score", "component", "final", "criteria_means", "reviews", "missing",
               "notes", "adjustment")
ADJUSTMENT_FIELDS = ("amount_fen", "set_aside", "reason")
TOTAL_FIELDS = ("funded", "amount_fen", "budget_fen", "proposals")
CHANGE_FIELDS = ("proposal", "number", "what", "before", "after", "reason", "objection")

OUTCOME_LABELS = {
    "funded": _l("Funded"),
    "below_minimum": _l("Not funded: below the minimum score"),
    "no_score": _l("Not funded: no score"),
    "set_aside": _l("Set aside by the organizer"),
    "does_not_fit": _l("Not funded: the request no longer fits in what is left of the budget"),
}

NOTE_LABELS = {
    "trimmed": _l("the highest and the lowest total were left out"),
    "incomplete": _l("fewer reviews than planned"),
    "no_reviews": _l("no reviews"),
    "no_component": _l("no component score entered"),
}

CHANGE_LABELS = {
    "amount": _l("Amount"),
    "amount_fen": _l("Amount"),
    "set_aside": _l("Set aside"),
    "outcome": _l("Outcome"),
    "score": _l("Score"),
    "final": _l("Final score"),
    "component": _l("Component score"),
    "rank": _l("Rank"),
}


def is_released(call: Call) -> bool:
    """True once the notice has opened: the result may be shown."""
    return call.phase in RESULT_PHASES


def record_for(session: Session, call: Call) -> ResultRecord | None:
    """The record the public sees: the final one once the call is published
    (the proposed one if, oddly, none was frozen), the proposed one during the
    notice, and none at all before it."""
    if not is_released(call):
        return None
    # Which records exist, without decoding their (large) content; then the
    # one shown, from the session's identity map when asked again.
    stages = dict(session.execute(select(ResultRecord.stage, ResultRecord.id)
                                  .where(ResultRecord.call_id == call.id)).all())
    if call.phase is Phase.PUBLISHED and ResultStage.FINAL in stages:
        chosen = stages[ResultStage.FINAL]
    else:
        chosen = stages.get(ResultStage.PROPOSED)
    return session.get(ResultRecord, chosen) if chosen is not None else None


def _pick(item: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        return {}
    return {name: item.get(name) for name in fields}


_PUBLIC_CONTENT = "_venture_public_content"


def public_content(record: ResultRecord) -> dict[str, Any]:
    """The record's content reduced to its public fields, in a fixed shape.

    Kept on the loaded record (a record never changes once frozen), as one
    page asks for it more than once; callers must not change what they get."""
    cached = record.__dict__.get(_PUBLIC_CONTENT)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    record.__dict__[_PUBLIC_CONTENT] = shaped = _public_content(record)
    return shaped


def _public_content(record: ResultRecord) -> dict[str, Any]:
    content = record.content or {}
    lines = []
    for raw in content.get("lines") or []:
        line = _pick(raw, LINE_FIELDS)
        # Contact data is never public: phone numbers, e-mail addresses, ID-card numbers in a title.
        line["title"] = leaks.redact(line.get("title") or "", leaks.Identity((), ()))
        line["criteria_means"] = {str(k): v for k, v in (line.get("criteria_means") or {}).items()}
        line["notes"] = [str(n) for n in (line.get("notes") or []) if str(n) in NOTE_LABELS]
        line["adjustment"] = _pick(line["adjustment"], ADJUSTMENT_FIELDS) if line.get("adjustment") else None
        lines.append(line)
    method = _pick(content.get("method") or {}, METHOD_FIELDS)
    if method.get("tie_criterion"):
        method["tie_criterion"] = _pick(method["tie_criterion"], ("position", "name"))
    return {
        "call": record.call_id,
        "stage": record.stage.value,
        "computed_at": content.get("computed_at"),
        "method": method,
        "criteria": [_pick(c, CRITERION_FIELDS) for c in content.get("criteria") or []],
        "lines": lines,
        "totals": _pick(content.get("totals") or {}, TOTAL_FIELDS),
        "changes": [_pick(c, CHANGE_FIELDS) for c in content.get("changes") or []],
    }


def final_score(line: Mapping[str, Any]) -> str | None:
    """The score a line is ranked by: the composite when there is one."""
    value = line.get("final")
    return value if value is not None else line.get("score")


def as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def percent(fraction: Any) -> str:
    """"0.30" -> "30"; for the plain-words description of a composite."""
    value = as_decimal(fraction)
    if value is None:
        return "0"
    return format((value * 100).normalize(), "f")


def describe_method(content: Mapping[str, Any], money: Any) -> list[str]:
    """The scoring method of a record in plain sentences (translated; call
    within a request). ``money`` formats fen for people."""
    from venture.core.l10n import gettext as _

    method = content.get("method") or {}
    sentences = []
    if method.get("name") == "trimmed":
        sentences.append(_("Each reviewer gives a weighted total out of 100 by the rubric below. A proposal's score "
                           "is the mean of its reviewers' totals; when it has five or more reviews, the highest "
                           "and the lowest total are left out first."))
    else:
        sentences.append(_("Each reviewer gives a weighted total out of 100 by the rubric below. A proposal's score "
                           "is the mean of its reviewers' totals."))
    if method.get("normalise"):
        sentences.append(_("Before averaging, each reviewer's totals are normalised: moved onto the panel's mean "
                           "and spread, so that lenient and harsh reviewers count alike."))
    weight = as_decimal(method.get("component_weight")) or Decimal(0)
    if weight > 0:
        sentences.append(_("The final score is %(component)s%% “%(label)s”, entered by the organizer, and "
                           "%(proposal)s%% the proposal's score.", component=percent(weight),
                           label=method.get("component_label") or _("component score"),
                           proposal=percent(Decimal(1) - weight)))
    if method.get("minimum_score") is not None:
        sentences.append(_("Proposals with a final score below %(minimum)s are not funded.",
                           minimum=method["minimum_score"]))
    budget = method.get("budget_fen")
    if budget is None:
        budget = (content.get("totals") or {}).get("budget_fen")
    if budget is not None:
        sentences.append(_("Proposals are funded in the order of their final scores until the budget of "
                           "%(budget)s is spent; a proposal whose amount no longer fits in what is left is "
                           "skipped, and the next one is considered.", budget=money(int(budget))))
    tie = method.get("tie_criterion")
    if tie and tie.get("name"):
        sentences.append(_("Equal final scores are ranked by the mean on “%(criterion)s”, then by the earlier "
                           "submission.", criterion=tie["name"]))
    else:
        sentences.append(_("Equal final scores are ranked by the earlier submission."))
    sentences.append(_("The organizer may lower an amount (never above the request) or set a proposal aside, "
                       "with a written reason shown in the table."))
    return sentences
