"""Confirmations shown where the reader lands.

A redirect to ``page#anchor`` scrolls the reader past the messages at the top
of the page. ``flash_at`` remembers the anchor with the message; the page
renders its messages next to that anchor (``flashes_here(anchor)`` in the
template) and the top of the page shows none. A page that has no such place
shows the messages at the top as usual.
"""
from __future__ import annotations

from flask import flash, request, session

ANCHOR_KEY = "_flash_anchor"


def flash_at(message: str, category: str, endpoint: str, anchor: str) -> None:
    """Flash ``message`` to be shown next to ``#anchor`` on ``endpoint``'s page."""
    flash(message, category)
    session[ANCHOR_KEY] = [endpoint, anchor]


def flash_anchor() -> str | None:
    """The anchor this page shows its messages at, or None (at the top).
    A remembered anchor meant for another page is forgotten."""
    stored = session.get(ANCHOR_KEY)
    if not stored:
        return None
    endpoint, anchor = stored
    if endpoint != request.endpoint:
        session.pop(ANCHOR_KEY, None)
        return None
    return str(anchor)


def flashes_here(anchor: str) -> bool:
    """True once, on the page and at the place the messages belong to."""
    if flash_anchor() != anchor:
        return False
    session.pop(ANCHOR_KEY, None)
    return True
