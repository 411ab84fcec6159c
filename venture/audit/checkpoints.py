"""Signed checkpoints of the audit chain's head: the chain anchored outside the database.

The chain's hashes live in the same database as the rows they vouch for, so
someone who can write to the database could recompute the whole chain after
changing an old entry. A checkpoint is a statement "entry ``sequence`` has
hash ``head``", with the time, signed with the site's Ed25519 key, which is a
file the database does not hold (``venture.audit.signing``). Checkpoints are
made at every phase change of a call (in the same transaction, so the entry
is never checkpointed unless it is committed) and daily (``calls tick``,
``audit checkpoint``), and published on /transparency and at
``/api/v1/checkpoints``. Whoever keeps any of them can later tell whether the
chain they are shown still has that head at that sequence.

An entry whose data carries ``"checkpoint": true`` promises a checkpoint at
its own sequence: ``verify`` names such an entry when its checkpoint is gone.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from venture.audit import signing
from venture.audit.models import AuditCheckpoint, AuditEvent
from venture.audit.services import lock_chain
from venture.core.timeutil import utcnow

# Entries that promise a checkpoint at their sequence carry this key in their data.
PROMISE = "checkpoint"
PROMISING_ACTIONS = ("call.phase", "results.proposed", "results.chain_head")


def time_text(moment: datetime) -> str:
    """UTC, ISO 8601, seconds, ending in Z: 2026-06-30T08:15:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sign(session: Session, sequence: int, head: str, reason: str) -> AuditCheckpoint:
    made_at = utcnow().replace(microsecond=0)
    checkpoint = AuditCheckpoint(sequence=sequence, head=head, made_at=made_at, reason=reason[:40],
                                 signature=signing.sign(sequence, head, time_text(made_at)))
    session.add(checkpoint)
    session.flush()
    return checkpoint


def make(session: Session, reason: str, event: AuditEvent | None = None) -> AuditCheckpoint | None:
    """Sign the head now, in the caller's transaction: ``event`` (just
    appended by the caller, who still holds the chain) or the newest entry.
    None for an empty chain; the existing checkpoint when the head has one."""
    if event is None:
        lock_chain(session)
        event = session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        if event is None:
            return None
    existing = session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.sequence == event.seq))
    if existing is not None:
        return existing
    return _sign(session, event.seq, event.entry_hash, reason)


def make_daily(session: Session, hours: int = 24, now: datetime | None = None) -> AuditCheckpoint | None:
    """A checkpoint of the head when the newest one is older than ``hours`` (for the scheduler)."""
    now = now or utcnow()
    newest = session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.sequence.desc()).limit(1))
    if newest is not None and newest.made_at > now - timedelta(hours=hours):
        return None
    lock_chain(session)
    head = session.scalar(select(func.max(AuditEvent.seq)))
    if head is None or (newest is not None and newest.sequence == head):
        return None  # nothing new since the last checkpoint
    return make(session, "daily")


def as_json(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    return {"sequence": checkpoint.sequence, "head": checkpoint.head, "time": time_text(checkpoint.made_at),
            "reason": checkpoint.reason, "signature": checkpoint.signature}


def published(session: Session) -> dict[str, Any]:
    """What /api/v1/checkpoints answers (the format is a promise to outside verifiers)."""
    rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.sequence))
    return {"algorithm": signing.ALGORITHM, "public_key": signing.public_key_b64(),
            "checkpoints": [as_json(row) for row in rows]}


def page(session: Session, before: int | None = None, size: int = 50) -> list[AuditCheckpoint]:
    """The newest checkpoints first, ``size`` at a time, below sequence ``before``."""
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.sequence.desc()).limit(size)
    if before is not None:
        query = query.where(AuditCheckpoint.sequence < before)
    return list(session.scalars(query))


# Verifying ------------------------------------------------------------------------------------

@dataclass
class CheckpointCheck:
    checked: int = 0
    saved_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _heads(session: Session, sequences: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(sequences))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found.update(session.execute(select(AuditEvent.seq, AuditEvent.entry_hash)
                                     .where(AuditEvent.seq.in_(chunk))).all())
    return found


def _label(sequence: Any, time: Any, reason: Any) -> str:
    return f"checkpoint of entry {sequence} ({time}{', ' + str(reason) if reason else ''})"


def verify(session: Session, public_key: Ed25519PublicKey,
           saved: Mapping[str, Any] | None = None) -> CheckpointCheck:
    """Every stored checkpoint is signed by ``public_key`` and the chain still
    has its head; every entry that promised a checkpoint has one; and, given
    ``saved`` (a copy of /api/v1/checkpoints someone kept), every checkpoint
    in it holds too and is still published unchanged."""
    check = CheckpointCheck()
    rows = list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.sequence)))
    saved_items = list((saved or {}).get("checkpoints") or [])
    heads = _heads(session, [r.sequence for r in rows]
                   + [int(i["sequence"]) for i in saved_items if isinstance(i.get("sequence"), int)])
    for row in rows:
        time = time_text(row.made_at)
        label = _label(row.sequence, time, row.reason)
        if not signing.signature_holds(public_key, row.sequence, row.head, time, row.signature):
            check.problems.append(f"{label}: the signature does not hold for this site's key "
                                  "(the checkpoint was altered or forged)")
        elif row.sequence not in heads:
            check.problems.append(f"{label}: the chain no longer has entry {row.sequence}")
        elif heads[row.sequence] != row.head:
            check.problems.append(f"{label}: entry {row.sequence} no longer has the signed head "
                                  f"{row.head}: the chain was rewritten after {time}")
        check.checked += 1

    have = {row.sequence for row in rows}
    promising = session.execute(select(AuditEvent.seq, AuditEvent.action, AuditEvent.data)
                                .where(AuditEvent.action.in_(PROMISING_ACTIONS)).order_by(AuditEvent.seq))
    for seq, action, data in promising:
        if isinstance(data, dict) and data.get(PROMISE) and seq not in have:
            check.problems.append(f"audit entry {seq} ({action}) was checkpointed, but its checkpoint is no "
                                  "longer stored (deleted)")

    if saved is not None:
        _verify_saved(check, saved, saved_items, public_key, {r.sequence: r for r in rows}, heads)
    return check


def _verify_saved(check: CheckpointCheck, saved: Mapping[str, Any], items: list[Any], site_key: Ed25519PublicKey,
                  stored: Mapping[int, AuditCheckpoint], heads: Mapping[int, str]) -> None:
    try:
        key = signing.public_key_from_b64(str(saved.get("public_key") or ""))
    except ValueError as error:
        check.problems.append(f"saved checkpoints: the public key is unusable ({error})")
        return
    if signing.raw_public_key(key) != signing.raw_public_key(site_key):
        check.problems.append("saved checkpoints: they were signed with another key than this site's")
    for item in items:
        try:
            sequence, head, time = int(item["sequence"]), str(item["head"]), str(item["time"])
            signature, reason = str(item["signature"]), item.get("reason", "")
        except (KeyError, TypeError, ValueError):
            check.problems.append(f"saved checkpoints: an unreadable item {item!r:.80}")
            continue
        label = "saved " + _label(sequence, time, reason)
        check.saved_checked += 1
        if not signing.signature_holds(key, sequence, head, time, signature):
            check.problems.append(f"{label}: the signature does not hold")
            continue
        if heads.get(sequence) != head:
            check.problems.append(f"{label}: entry {sequence} no longer has the signed head {head}: "
                                  f"the chain was rewritten after {time}")
        row = stored.get(sequence)
        if row is None:
            check.problems.append(f"{label}: no longer published (deleted from the database)")
        elif (row.head, time_text(row.made_at), row.signature) != (head, time, signature):
            check.problems.append(f"{label}: published differently now")
