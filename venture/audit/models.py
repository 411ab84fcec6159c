from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from venture.core.models import Base


class AuditEvent(Base):
    """One change of state. ``entry_hash`` covers the canonical form of the
    event and the previous entry's hash, so editing or deleting any row
    breaks the chain from there on. Personal data is referenced by id, never
    copied in, so deleting an account does not touch the chain."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """A signed statement of the chain's head: "entry ``sequence`` has hash
    ``head``", made at ``made_at`` and signed with the site's Ed25519 key,
    which lives in a file outside the database. Published on /transparency
    and in the API; anyone who keeps a copy can later tell whether the chain
    they are shown still extends it."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, unique=True)
    head: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(String(100))
