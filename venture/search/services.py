"""Keeping the search index in step with the database.

``enqueue`` is called by the services that change what the public sees, in
their own transaction. After the commit the request calls ``after_commit``,
which drains the queue into the index off the request's path.
"""
from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy.orm import Session

from venture.search.models import SearchQueue

KINDS = frozenset({"call", "proposal", "comment"})


def enqueue(session: Session, kind: str, object_id: int) -> None:
    """Mark an object for re-indexing (its public face may have changed)."""
    if kind not in KINDS:
        raise ValueError(kind)
    session.add(SearchQueue(kind=kind, object_id=object_id))
    if has_request_context():
        g.search_queued = True


def after_commit(app: object) -> None:
    """Drain the queue into the index without holding up the request.
    (Until the index exists, queued rows simply wait for ``search rebuild``.)"""
