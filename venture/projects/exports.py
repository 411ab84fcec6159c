"""A call's funded projects as a spreadsheet for its organizers: CSV (UTF-8
with a byte order mark, for Excel in China) and XLSX, one row per project.
Text that a spreadsheet would read as a formula is kept as text, as in the
result exports (``venture.results.exports``)."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from flask import Response

from venture.calls.models import Call
from venture.core.l10n import format_day
from venture.core.l10n import gettext as _
from venture.core.money import fen_to_yuan
from venture.projects.models import EvaluationStage, Project
from venture.projects.services import summary
from venture.results.exports import FORMULA_START, disposition, safe_cell


def headers() -> list[str]:
    return [_("Number"), _("Project"), _("Group"), _("Stage"), _("Starts"), _("Ends"), _("Approved (yuan)"),
            _("Paid (yuan)"), _("Cut (yuan)"), _("Remaining (yuan)"), _("Next report due"), _("Overdue reports"),
            _("Reports waiting for review"), _("Tranches to release"), _("Mid-term score"), _("Mid-term band"),
            _("Final score"), _("Final band")]


def table(projects: list[Project], now: datetime) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for project in projects:
        s = summary(project, now)
        row: list[Any] = [project.number, project.title, project.group.name, project.stage.label,
                          format_day(project.starts_on) if project.starts_on else "",
                          format_day(project.ends_on) if project.ends_on else "",
                          fen_to_yuan(project.approved_fen), fen_to_yuan(project.paid_fen),
                          fen_to_yuan(project.cut_fen), fen_to_yuan(project.remaining_fen),
                          f"{s.next_due.title} ({format_day(s.next_due.due_on)})" if s.next_due else "",
                          len(s.overdue), len(s.waiting), len(s.releasable)]
        for stage in (EvaluationStage.MIDTERM, EvaluationStage.FINAL):
            evaluation = project.evaluation(stage)
            done = evaluation is not None and evaluation.is_finalised
            row += [evaluation.score if done else None, evaluation.band.label if done and evaluation.band else ""]
        rows.append(row)
    return rows


def to_csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers()])
    for row in rows:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: list[list[Any]], title: str) -> bytes:
    from decimal import Decimal

    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = (_("Funded projects") or "Projects")[:31]
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", h) for h in headers()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([float(cell) if isinstance(cell, Decimal)
                      else ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell for cell in row])
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if cell.value.startswith(FORMULA_START):
                    cell.quotePrefix = True
    sheet.freeze_panes = "A2"
    book.properties.title = title[:200]
    book.properties.creator = "Venture"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def response(data: bytes, mimetype: str, call: Call, extension: str) -> Response:
    plain = f"projects-{call.id}.{extension}"
    stem = call.title.strip()[:60]
    answer = Response(data, mimetype=mimetype)
    answer.headers["Content-Disposition"] = disposition(f"{stem}-{plain}" if stem else plain, plain)
    answer.headers["Cache-Control"] = "private, no-store"
    answer.headers["X-Content-Type-Options"] = "nosniff"
    return answer
