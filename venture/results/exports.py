"""A result as a spreadsheet: CSV and XLSX.

Four tables, each a CSV (``?table=``) and a sheet of the XLSX: ``lines``, one
row per line of the record with the columns of the public results page;
``reviews``, one row per review of a line, counted or not (with why), under
the reviewers' pseudonyms; ``screening``, each submitted proposal's outcome
and its category; ``method``, the method's parameters, the rubric and the
record's fingerprint. Together they hold every input needed to recompute the
result. CSV is UTF-8 with a byte order mark, so Excel (as used in China)
opens Chinese text right; every text cell that a spreadsheet would read as a
formula (starting with = + - @, a tab or a carriage return) gets a leading
apostrophe. Numbers stay numbers.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from venture.core.l10n import gettext as _
from venture.core.money import fen_to_yuan
from venture.results.public import (
    NOT_COUNTED_LABELS,
    NOTE_LABELS,
    OUTCOME_LABELS,
    SCREENING_OUTCOME_LABELS,
    as_decimal,
    final_score,
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | Decimal | None
TABLES = ("lines", "reviews", "screening", "method")


def safe_cell(value: Cell) -> Cell:
    """A value a spreadsheet shows as text when it is text: never a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def adjustment_text(adjustment: Mapping[str, Any] | None, money: Callable[[int], str] | None = None) -> str:
    """The organizer's decision on a line in words; amounts in yuan, or as ``money`` formats fen."""
    if not adjustment:
        return ""
    reason = str(adjustment.get("reason") or "")
    if adjustment.get("set_aside"):
        return _("Set aside: %(reason)s", reason=reason)
    if adjustment.get("amount_fen") is not None:
        fen = int(adjustment["amount_fen"])
        if money is not None:
            return _("Amount lowered to %(amount)s: %(reason)s", amount=money(fen), reason=reason)
        return _("Amount lowered to %(amount)s yuan: %(reason)s", amount=fen_to_yuan(fen), reason=reason)
    return reason


def headers(content: Mapping[str, Any]) -> list[str]:
    composite = as_decimal((content.get("method") or {}).get("component_weight")) or Decimal(0)
    columns = [_("Rank"), _("Number"), _("Group"), _("Project"), _("Theme"), _("District")]
    columns += [_("Mean: %(criterion)s", criterion=c.get("name", "")) for c in content.get("criteria") or []]
    columns.append(_("Proposal score"))
    if composite:
        columns += [(content.get("method") or {}).get("component_label") or _("Component score"), _("Final score")]
    columns += [_("Number of reviews"), _("Requested (yuan)"), _("Awarded (yuan)"), _("Outcome"), _("Adjustment"),
                _("Notes"), _("First submitted (UTC)"), _("Unrounded proposal score")]
    return columns


def rows(content: Mapping[str, Any]) -> list[list[Cell]]:
    composite = as_decimal((content.get("method") or {}).get("component_weight")) or Decimal(0)
    out: list[list[Cell]] = []
    for line in content.get("lines") or []:
        means = line.get("criteria_means") or {}
        row: list[Cell] = [line.get("rank"), line.get("number"), line.get("group"), line.get("title"),
                           line.get("theme"), line.get("district")]
        row += [as_decimal(means.get(str(c.get("position")))) for c in content.get("criteria") or []]
        row.append(as_decimal(line.get("score")))
        if composite:
            row += [as_decimal(line.get("component")), as_decimal(final_score(line))]
        outcome = line.get("outcome")
        row += [line.get("reviews"), fen_to_yuan(int(line.get("request_fen") or 0)),
                fen_to_yuan(int(line.get("amount_fen") or 0)),
                str(OUTCOME_LABELS[outcome]) if outcome in OUTCOME_LABELS else outcome,
                adjustment_text(line.get("adjustment")),
                "; ".join(str(NOTE_LABELS[n]) for n in line.get("notes") or [] if n in NOTE_LABELS),
                line.get("first_submitted_at"), line.get("score_exact")]
        out.append(row)
    return out


def review_headers(content: Mapping[str, Any]) -> list[str]:
    columns = [_("Number"), _("Reviewer")]
    columns += [_("Points: %(criterion)s", criterion=c.get("name", "")) for c in content.get("criteria") or []]
    columns += [_("Total"), _("Value averaged (unrounded)"), _("Counted"), _("Why not counted")]
    return columns


def review_rows(content: Mapping[str, Any]) -> list[list[Cell]]:
    """Every review of every line: the counted ones with their points, then those not counted and why."""
    positions = [str(c.get("position")) for c in content.get("criteria") or []]
    out: list[list[Cell]] = []
    for line in content.get("lines") or []:
        for review in line.get("review_scores") or []:
            scores = review.get("scores") or {}
            row: list[Cell] = [line.get("number"), _("Reviewer %(letter)s", letter=review.get("reviewer", ""))]
            row += [as_decimal(scores.get(position)) for position in positions]
            row += [as_decimal(review.get("total")), review.get("used"),
                    _("No: the highest or the lowest total, left out") if review.get("dropped") else _("Yes"), ""]
            out.append(row)
        for item in line.get("reviews_not_counted") or []:
            reason = item.get("reason")
            row = [line.get("number"), _("Reviewer %(letter)s", letter=item.get("reviewer", ""))]
            row += [None for _position in positions]
            row += [None, None, _("No"), str(NOT_COUNTED_LABELS[reason]) if reason in NOT_COUNTED_LABELS else reason]
            out.append(row)
    return out


def screening_headers() -> list[str]:
    return [_("Number"), _("Screening"), _("Category")]


def screening_rows(content: Mapping[str, Any]) -> list[list[Cell]]:
    from venture.screening.services import category_label

    out: list[list[Cell]] = []
    for item in content.get("screening") or []:
        outcome = item.get("outcome")
        out.append([item.get("number"),
                    str(SCREENING_OUTCOME_LABELS[outcome]) if outcome in SCREENING_OUTCOME_LABELS else outcome,
                    category_label(str(item.get("category") or ""))])
    return out


def method_headers() -> list[str]:
    return [_("Parameter"), _("Value")]


def method_rows(content: Mapping[str, Any], record: Any = None) -> list[list[Cell]]:
    """The method's parameters and the rubric as (name, value) rows, with the record's fingerprint."""
    method = content.get("method") or {}
    tie = method.get("tie_criterion") or {}
    out: list[list[Cell]] = [
        [_("Stage"), content.get("stage")],
        [_("Method"), method.get("name")],
        [_("Trimmed from this many reviews"), method.get("trim_from")],
        [_("Totals left out at each end"), method.get("trim_each_side")],
        [_("Normalised per reviewer"), _("Yes") if method.get("normalise") else _("No")],
        [_("Component weight"), as_decimal(method.get("component_weight"))],
        [_("Component"), method.get("component_label") or ""],
        [_("Minimum score"), as_decimal(method.get("minimum_score"))],
        [_("Budget (fen)"), method.get("budget_fen")],
        [_("Reviewers per proposal"), method.get("reviewers_per_proposal")],
        [_("Tie-break criterion"), tie.get("name") or ""],
    ]
    for criterion in content.get("criteria") or []:
        out.append([_("Weight: %(criterion)s", criterion=criterion.get("name", "")), criterion.get("weight")])
        out.append([_("Maximum points: %(criterion)s", criterion=criterion.get("name", "")),
                    as_decimal(criterion.get("max_points"))])
    if record is not None:
        out += [[_("Fingerprint of this record"), record.fingerprint],
                [_("Audit log entry"), record.chain_seq], [_("Chain head"), record.chain_head]]
    if content.get("proposed_fingerprint"):
        out.append([_("Fingerprint of the proposed result"), content.get("proposed_fingerprint")])
    return out


def table(content: Mapping[str, Any], name: str, record: Any = None) -> tuple[list[str], list[list[Cell]]]:
    if name == "reviews":
        return review_headers(content), review_rows(content)
    if name == "screening":
        return screening_headers(), screening_rows(content)
    if name == "method":
        return method_headers(), method_rows(content, record)
    return headers(content), rows(content)


def to_csv(content: Mapping[str, Any], name: str = "lines", record: Any = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns, data = table(content, name, record)
    writer.writerow([safe_cell(h) for h in columns])
    for row in data:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(content: Mapping[str, Any], title: str, record: Any = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    for index, (name, sheet_title) in enumerate((("lines", _("Result")), ("reviews", _("Reviews")),
                                                 ("screening", _("Screening")), ("method", _("Method")))):
        if index:
            sheet = book.create_sheet()
        sheet.title = _sheet_title(sheet_title)
        columns, data = table(content, name, record)
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", h) for h in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in data:
            sheet.append([float(cell) if isinstance(cell, Decimal)
                          else ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell
                          for cell in row])
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    # Text stays text, whatever it starts with: never a formula.
                    cell.data_type = "s"
                    if cell.value.startswith(FORMULA_START):
                        cell.quotePrefix = True
        sheet.freeze_panes = "A2"
    book.active = 0
    book.properties.title = title[:200]
    book.properties.creator = "Venture"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "", name)[:31] or "Result"


def disposition(name: str, fallback: str) -> str:
    """``attachment`` with an ASCII ``filename`` (``fallback``, for old
    clients) and the full name as RFC 5987 ``filename*``."""
    name = re.sub(r"[\x00-\x1f\x7f\\/:*?\"<>|]+", "", unicodedata.normalize("NFC", name)).strip() or fallback
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", fallback).strip("_") or "results"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def file_names(call_id: int, stage: str, extension: str, title: str, table: str = "lines") -> tuple[str, str]:
    """The full file name (with the call's title) and its ASCII fallback."""
    suffix = "" if table == "lines" else f"-{table}"
    plain = f"results-{call_id}-{stage}{suffix}.{extension}"
    stem = title.strip()[:60]
    return (f"{stem}-{plain}" if stem else plain), plain
