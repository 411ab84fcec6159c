"""A result as a spreadsheet: CSV and XLSX, one row per line of the record.

The columns are those of the public results page. CSV is UTF-8 with a byte
order mark, so Excel (as used in China) opens Chinese text right; every text
cell that a spreadsheet would read as a formula (starting with = + - @, a tab
or a carriage return) gets a leading apostrophe. Numbers stay numbers.
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
from venture.results.public import NOTE_LABELS, OUTCOME_LABELS, as_decimal, final_score

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | Decimal | None


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
                _("Notes")]
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
                "; ".join(str(NOTE_LABELS[n]) for n in line.get("notes") or [] if n in NOTE_LABELS)]
        out.append(row)
    return out


def to_csv(content: Mapping[str, Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers(content)])
    for row in rows(content):
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(content: Mapping[str, Any], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(_("Result"))
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", h) for h in headers(content)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(content):
        sheet.append([float(cell) if isinstance(cell, Decimal)
                      else ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell for cell in row])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                # Text stays text, whatever it starts with: never a formula.
                cell.data_type = "s"
                if cell.value.startswith(FORMULA_START):
                    cell.quotePrefix = True
    sheet.freeze_panes = "A2"
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


def file_names(call_id: int, stage: str, extension: str, title: str) -> tuple[str, str]:
    """The full file name (with the call's title) and its ASCII fallback."""
    plain = f"results-{call_id}-{stage}.{extension}"
    stem = title.strip()[:60]
    return (f"{stem}-{plain}" if stem else plain), plain
