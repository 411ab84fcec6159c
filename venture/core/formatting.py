"""Dates and money as the request's language writes them, for any layer."""
from __future__ import annotations

from typing import Any

from venture.core import l10n


def format_moment(value: Any, format: str = "medium") -> str:
    return l10n.format_datetime(value, format) if value is not None else ""


def format_day(value: Any, format: str = "long") -> str:
    return l10n.format_date(value, format) if value is not None else ""


def format_money(fen: int | None) -> str:
    if fen is None:
        return ""
    return l10n.format_money(fen)
