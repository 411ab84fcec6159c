"""The rules of a score sheet (评分表), as pure functions.

A reviewer gives each criterion of the call's rubric a score from 0 to the
criterion's maximum in steps of half a point, with a written reason. The
weighted total is out of 100: each criterion contributes its weight times the
share of its maximum that was given. Decimal throughout, so half points and
totals are exact; the total is rounded half-up to two places.

No request, no database: criteria are anything with ``id``, ``name``,
``weight`` and ``max_points`` (the ``Criterion`` model, or a test's stand-in).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

from venture.core import numbers
from venture.core.l10n import lazy_gettext as _l

__all__ = ["MIN_REASON_CHARS", "InvalidScore", "Problem", "draft_problems", "fingerprint", "freeze",
           "parse_score", "plain", "problems", "total"]

MIN_REASON_CHARS = 10
MAX_REASON_CHARS = 5000
HALF = Decimal("0.5")
CENT = Decimal("0.01")


class CriterionLike(Protocol):
    id: int
    name: str
    weight: int
    max_points: Decimal


@dataclass(frozen=True)
class Problem:
    """Something wrong with the sheet, tied to its form field
    (``score_<criterion id>`` or ``reason_<criterion id>``)."""

    field: str
    message: Any


class InvalidScore(ValueError):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def score_field(criterion: CriterionLike) -> str:
    return f"score_{criterion.id}"


def reason_field(criterion: CriterionLike) -> str:
    return f"reason_{criterion.id}"


def plain(value: Decimal) -> str:
    """A score or total as text without exponent or trailing zeros: 8, 7.5."""
    return numbers.plain(value)


def parse_score(text: object, max_points: Decimal | int | str) -> Decimal | None:
    """The score typed, or None when nothing was typed. "7.5" and "7,5" are
    read alike. Raises :class:`InvalidScore` for anything else than a
    multiple of 0.5 from 0 to ``max_points``."""
    if text is None:
        return None
    raw = str(text).strip().replace("，", ",").replace(",", ".")
    if not raw:
        return None
    top = Decimal(str(max_points))
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise InvalidScore(_l("Enter a number, for example 7 or 7.5.")) from None
    if not value.is_finite():
        raise InvalidScore(_l("Enter a number, for example 7 or 7.5."))
    if value < 0 or value > top:
        raise InvalidScore(_l("Enter a score from 0 to %(max)s.", max=plain(top)))
    if (value / HALF) != (value / HALF).to_integral_value():
        raise InvalidScore(_l("Scores go in steps of half a point: for example 7 or 7.5."))
    if value == 0:
        return Decimal(0)  # not "-0"
    return value


def _parsed(criteria: Iterable[CriterionLike], scores: Mapping[str, object]
            ) -> tuple[dict[str, Decimal], list[Problem]]:
    found: dict[str, Decimal] = {}
    wrong: list[Problem] = []
    for criterion in criteria:
        key = str(criterion.id)
        try:
            value = parse_score(scores.get(key), criterion.max_points)
        except InvalidScore as error:
            wrong.append(Problem(score_field(criterion), error.message))
            continue
        if value is not None:
            found[key] = value
    return found, wrong


def _reason_too_long(criteria: Iterable[CriterionLike], reasons: Mapping[str, object]) -> list[Problem]:
    return [Problem(reason_field(c), _l("At most %(max)d characters.", max=MAX_REASON_CHARS))
            for c in criteria if len(str(reasons.get(str(c.id)) or "")) > MAX_REASON_CHARS]


def draft_problems(criteria: Iterable[CriterionLike], scores: Mapping[str, object],
                   reasons: Mapping[str, object] | None = None) -> list[Problem]:
    """What keeps a draft from being saved: only malformed values. Missing
    scores and short reasons are fine in a draft."""
    criteria = list(criteria)
    _found, wrong = _parsed(criteria, scores)
    return wrong + _reason_too_long(criteria, reasons or {})


def problems(criteria: Iterable[CriterionLike], scores: Mapping[str, object],
             reasons: Mapping[str, object]) -> list[Problem]:
    """What keeps the sheet from being submitted, in form order: every
    criterion needs a valid score and a reason of at least
    ``MIN_REASON_CHARS`` characters."""
    criteria = list(criteria)
    found, wrong = _parsed(criteria, scores)
    by_field = {p.field: p for p in wrong + _reason_too_long(criteria, reasons)}
    result: list[Problem] = []
    for criterion in criteria:
        key = str(criterion.id)
        score = by_field.get(score_field(criterion))
        if score is not None:
            result.append(score)
        elif key not in found:
            result.append(Problem(score_field(criterion), _l("Give a score for “%(name)s”.", name=criterion.name)))
        reason = by_field.get(reason_field(criterion))
        if reason is not None:
            result.append(reason)
        elif len(str(reasons.get(key) or "").strip()) < MIN_REASON_CHARS:
            result.append(Problem(reason_field(criterion),
                                  _l("Explain the score for “%(name)s” in at least %(n)d characters.",
                                     name=criterion.name, n=MIN_REASON_CHARS)))
    return result


def total(criteria: Iterable[CriterionLike], scores: Mapping[str, Decimal | str]) -> Decimal:
    """Σ weight × score / max_points, out of 100, rounded half-up to 0.01.
    A criterion without a score counts zero."""
    exact = Decimal(0)
    for criterion in criteria:
        value = scores.get(str(criterion.id))
        if value is None or value == "":
            continue
        exact += Decimal(criterion.weight) * Decimal(str(value)) / Decimal(str(criterion.max_points))
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def freeze(criteria: Iterable[CriterionLike], scores: Mapping[str, Decimal | str],
           reasons: Mapping[str, str], comment: str, note: str) -> dict[str, Any]:
    """The content of a submitted version, in the canonical form that is
    fingerprinted: scores and the total as text, reasons stripped."""
    criteria = list(criteria)
    return {
        "criteria": [{"id": c.id, "score": plain(Decimal(str(scores[str(c.id)]))),
                      "reason": str(reasons.get(str(c.id)) or "").strip()} for c in criteria],
        "comment": comment.strip(),
        "note": note.strip(),
        "total": format(total(criteria, scores), "f"),
    }


def fingerprint(content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a frozen review."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
