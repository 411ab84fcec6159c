"""What the public may see of a result, decided in one place.

One embargo: before the organizer opens the public notice, nothing of a
call's result exists in public – no status, order, score, amount or outcome.
From the notice on, the public sees the frozen :class:`ResultRecord` (the
proposed result, then the final one), never a recomputation, and only the
fields listed here: whatever else a record may carry stays with the organizers.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
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
# A record written by the services holds these fields only, so its published
# form (``published_content``) is the record itself and its fingerprint can
# be recomputed by anyone.
TOP_FIELDS = ("format", "proposed_fingerprint", "call", "stage", "computed_at", "method", "criteria", "lines",
              "totals", "changes", "screening")
METHOD_FIELDS = ("name", "trim_from", "trim_each_side", "normalise", "component_weight", "component_label",
                 "minimum_score", "budget_fen", "reviewers_per_proposal", "disagreement_threshold", "tie_criterion")
TIE_FIELDS = ("position", "name")
CRITERION_FIELDS = ("position", "name", "weight", "max_points")
LINE_FIELDS = ("rank", "proposal", "number", "title", "group", "group_kind", "theme", "district", "request_fen",
               "amount_fen", "outcome", "score", "component", "final", "criteria_means", "reviews", "missing",
               "notes", "adjustment", "first_submitted_at", "score_exact", "review_scores", "reviews_not_counted")
ADJUSTMENT_FIELDS = ("amount_fen", "set_aside", "reason")
REVIEW_FIELDS = ("reviewer", "scores", "total", "used", "dropped")
NOT_COUNTED_FIELDS = ("reviewer", "reason")
TOTAL_FIELDS = ("funded", "amount_fen", "budget_fen", "proposals")
CHANGE_FIELDS = ("proposal", "number", "what", "before", "after", "reason", "objection")
SCREENING_FIELDS = ("number", "outcome", "category")

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

NOT_COUNTED_LABELS = {
    "conflict": _l("Not counted: a conflict of interest with the applicant"),
    "withdrawn": _l("Not submitted: the reviewer withdrew from the panel"),
    "moved": _l("Not submitted: given to another reviewer"),
    "superseded": _l("Replaced by the same reviewer's later review"),
    "not_submitted": _l("Not submitted by the end of the review"),
    "ended": _l("Not submitted: the assignment ended"),
}

SCREENING_OUTCOME_LABELS = {
    "eligible": _l("Eligible"),
    "ineligible": _l("Not eligible"),
    "pending": _l("Not screened"),
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


def records_of(session: Session, call: Call) -> dict[ResultStage, ResultRecord]:
    """Every record the public may see, by stage: none before the notice; the
    proposed record stays public once the final one is out."""
    if not is_released(call):
        return {}
    found = session.scalars(select(ResultRecord).where(ResultRecord.call_id == call.id)).all()
    return {record.stage: record for record in found}


def _pick(item: Any, fields: tuple[str, ...], fill: bool = True) -> dict[str, Any]:
    """The listed fields of ``item``: every one (absent ones as None) when
    ``fill``, else exactly those present, so that nothing is added."""
    if type(item) is not dict and not isinstance(item, Mapping):  # JSON gives dicts: the quick test first
        return {}
    if fill:
        return {name: item.get(name) for name in fields}
    return {name: item[name] for name in fields if name in item}


_PUBLIC_CONTENT = "_venture_public_content"
_PUBLISHED_CONTENT = "_venture_published_content"


def public_content(record: ResultRecord) -> dict[str, Any]:
    """The record's content reduced to its public fields, in a fixed shape
    (every field present, absent ones as None), for pages and exports.

    Kept on the loaded record (a record never changes once frozen), as one
    page asks for it more than once; callers must not change what they get."""
    cached = record.__dict__.get(_PUBLIC_CONTENT)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    record.__dict__[_PUBLIC_CONTENT] = shaped = _public_content(record, fill=True)
    return shaped


def published_content(record: ResultRecord) -> dict[str, Any]:
    """The record's content as published for checking: its public fields
    exactly as stored, nothing added. For a record written by the services
    this is the whole content, so ``fingerprint(published_content(record))``
    equals the record's fingerprint."""
    cached = record.__dict__.get(_PUBLISHED_CONTENT)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    record.__dict__[_PUBLISHED_CONTENT] = shaped = _public_content(record, fill=False)
    return shaped


def _line(raw: Any, fill: bool) -> dict[str, Any]:
    line = _pick(raw, LINE_FIELDS, fill)
    if "criteria_means" in line:
        line["criteria_means"] = {str(k): v for k, v in (line.get("criteria_means") or {}).items()}
    if "notes" in line:
        line["notes"] = [str(n) for n in (line.get("notes") or []) if str(n) in NOTE_LABELS]
    if "adjustment" in line:
        line["adjustment"] = _pick(line["adjustment"], ADJUSTMENT_FIELDS, fill) if line.get("adjustment") else None
    if "review_scores" in line:
        reviews = []
        for item in line.get("review_scores") or []:
            review = _pick(item, REVIEW_FIELDS, fill)
            if type(review.get("scores")) is dict:  # position (text, as JSON keys are) -> points
                review["scores"] = dict(review["scores"])
            elif "scores" in review:
                review["scores"] = {}
            reviews.append(review)
        line["review_scores"] = reviews
    if "reviews_not_counted" in line:
        line["reviews_not_counted"] = [_pick(item, NOT_COUNTED_FIELDS, fill)
                                       for item in line.get("reviews_not_counted") or []]
    if fill:
        line["review_scores"] = line.get("review_scores") or []
        line["reviews_not_counted"] = line.get("reviews_not_counted") or []
    return line


def _public_content(record: ResultRecord, fill: bool) -> dict[str, Any]:
    content = record.content or {}
    shaped = _pick(content, TOP_FIELDS, fill)
    if "method" in shaped:
        method = _pick(content.get("method") or {}, METHOD_FIELDS, fill)
        if method.get("tie_criterion"):
            method["tie_criterion"] = _pick(method["tie_criterion"], TIE_FIELDS, fill)
        shaped["method"] = method
    for name, fields in (("criteria", CRITERION_FIELDS), ("changes", CHANGE_FIELDS),
                         ("screening", SCREENING_FIELDS)):
        if name in shaped:
            shaped[name] = [_pick(item, fields, fill) for item in content.get(name) or []]
    if "lines" in shaped:
        shaped["lines"] = [_line(raw, fill) for raw in content.get("lines") or []]
    if "totals" in shaped:
        shaped["totals"] = _pick(content.get("totals") or {}, TOTAL_FIELDS, fill)
    if fill:
        # What a page always shows, whatever the record's age: the call and stage as stored on the row.
        shaped.update(call=record.call_id, stage=record.stage.value, format=content.get("format") or 1)
        for name in ("criteria", "lines", "changes", "screening"):
            shaped[name] = shaped.get(name) or []
        shaped["method"] = shaped.get("method") or _pick({}, METHOD_FIELDS)
        shaped["totals"] = shaped.get("totals") or _pick({}, TOTAL_FIELDS)
    return shaped


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


def public_entry(event: Any) -> dict[str, Any] | None:
    """An audit entry as published next to the record it seals: what was
    hashed (``payload``), the previous entry's hash and its own, so anyone
    can recompute ``entry_hash = SHA-256(prev_hash + canonical JSON of the
    payload)`` and compare it with a signed checkpoint. Only entries whose
    content is public anyway are ever passed here."""
    if event is None:
        return None
    from venture.audit import services as audit

    payload = audit._payload(event.seq, event.occurred_at, event.actor_id, event.action, event.object_type,
                             event.object_id, event.data)
    return {"payload": payload, "prev_hash": event.prev_hash, "entry_hash": event.entry_hash}


def sealing_entry(session: Session, record: ResultRecord) -> dict[str, Any] | None:
    """The audit entry whose hash the record keeps as its chain head."""
    from venture.audit.models import AuditEvent

    if record.chain_seq is None:
        return None
    return public_entry(session.get(AuditEvent, record.chain_seq))


def published_outcomes(session: Session, calls: Iterable[Call]) -> dict[int, str]:
    """Each proposal's outcome in the published final result of these calls
    (proposal id → "funded", "below_minimum", …): two queries a published call."""
    found: dict[int, str] = {}
    for call in {c.id: c for c in calls if c.phase is Phase.PUBLISHED}.values():
        record = record_for(session, call)
        for line in (record.content.get("lines") or []) if record is not None else []:
            if line.get("proposal") is not None and line.get("outcome"):
                found[int(line["proposal"])] = str(line["outcome"])
    return found
