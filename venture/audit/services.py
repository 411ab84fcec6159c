"""Writing and verifying the audit chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from venture.audit.models import AuditEvent
from venture.core.timeutil import utcnow

GENESIS = "0" * 64
# Arbitrary constant naming the PostgreSQL advisory lock that serialises appends.
_CHAIN_LOCK = 0x76656E74


def canonical(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def _payload(seq: int, occurred_at: datetime, actor_id: int | None, action: str,
             object_type: str, object_id: int | None, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": occurred_at.isoformat(timespec="microseconds"),
        "actor": actor_id,
        "action": action,
        "object": [object_type, object_id],
        "data": data,
    }


def entry_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(payload)).hexdigest()


def lock_chain(session: Session) -> None:
    """Hold the right to append until the transaction ends (PostgreSQL; SQLite writes one at a time)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})


def record(session: Session, actor: Any, action: str, obj: Any = None,
           *, object_type: str | None = None, object_id: int | None = None,
           **data: Any) -> AuditEvent:
    """Append an event to the chain in the caller's transaction.

    ``obj`` is a model instance (its table name and id are recorded); it must
    have been flushed so it has an id. ``data`` holds the facts worth keeping
    (states, fingerprints, amounts) and never personal data.
    """
    if obj is not None:
        if getattr(obj, "id", None) is None:
            session.flush()
        object_type = object_type or obj.__tablename__
        object_id = obj.id
    lock_chain(session)
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.entry_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    occurred_at = utcnow()
    actor_id = getattr(actor, "id", None) if actor is not None else None
    clean = json.loads(canonical(data))  # what is hashed is exactly what is stored
    payload = _payload(seq, occurred_at, actor_id, action, object_type or "", object_id, clean)
    event = AuditEvent(
        seq=seq, occurred_at=occurred_at, actor_id=actor_id, action=action,
        object_type=object_type or "", object_id=object_id, data=clean,
        prev_hash=prev, entry_hash=entry_hash(prev, payload),
    )
    session.add(event)
    session.flush()
    return event


@dataclass
class Verification:
    ok: bool
    checked: int
    head: str
    first_broken: int | None = None
    reason: str = ""


def verify(session: Session) -> Verification:
    """Walk the chain in order and name the first entry that does not hold."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    for event in rows:
        if event.seq != expected_seq:
            return Verification(False, checked, prev, expected_seq, "missing entry")
        if event.prev_hash != prev:
            return Verification(False, checked, prev, event.seq, "link to previous entry broken")
        payload = _payload(event.seq, event.occurred_at, event.actor_id, event.action,
                           event.object_type, event.object_id, event.data)
        if entry_hash(prev, payload) != event.entry_hash:
            return Verification(False, checked, prev, event.seq, "content altered")
        prev = event.entry_hash
        expected_seq += 1
        checked += 1
    return Verification(True, checked, prev)
