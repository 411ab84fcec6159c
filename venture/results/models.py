from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from venture.accounts.models import User
from venture.calls.models import Call
from venture.core.l10n import lazy_gettext as _l
from venture.core.models import Base
from venture.core.timeutil import utcnow
from venture.proposals.models import Proposal


def _enum(cls: type[enum.Enum], length: int) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class ComponentScore(Base):
    """The organizer-entered part of a composite score (e.g. the group's
    earlier evaluation record), one per proposal."""

    __tablename__ = "component_scores"
    __table_args__ = (CheckConstraint("value >= 0 AND value <= 100", name="value_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), unique=True)
    value: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    note: Mapped[str] = mapped_column(String(300), default="")
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    proposal: Mapped[Proposal] = relationship()


class FundingAdjustment(Base):
    """An organizer's decision on one line of the funding line: a lowered
    amount (never above the request) or setting the proposal aside."""

    __tablename__ = "funding_adjustments"
    __table_args__ = (
        CheckConstraint("set_aside OR amount_fen > 0", name="amount_or_set_aside"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), unique=True)
    amount_fen: Mapped[int | None]
    set_aside: Mapped[bool] = mapped_column(default=False, server_default=false())
    reason: Mapped[str] = mapped_column(Text)
    made_at: Mapped[datetime] = mapped_column(default=utcnow)
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    proposal: Mapped[Proposal] = relationship()


class ResultStage(enum.StrEnum):
    PROPOSED = "proposed"  # published with the public notice
    FINAL = "final"  # published at the end of the notice

    @property
    def label(self) -> str:
        return str(RESULT_STAGE_LABELS[self])


RESULT_STAGE_LABELS = {
    ResultStage.PROPOSED: _l("Proposed result"),
    ResultStage.FINAL: _l("Final result"),
}


class ResultRecord(Base):
    """A frozen result: what the public notice or the final publication
    showed, computed once and never recomputed for display. Its fingerprint
    goes into the audit chain."""

    __tablename__ = "result_records"
    __table_args__ = (UniqueConstraint("call_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    stage: Mapped[ResultStage] = mapped_column(_enum(ResultStage, 10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # {"method": {...}, "lines": [...], "changes": [...], "budget_fen": ..., ...}
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The audit chain's head right after this record was written.
    chain_seq: Mapped[int | None]
    chain_head: Mapped[str] = mapped_column(String(64), default="")

    call: Mapped[Call] = relationship()


class ObjectionStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return str(OBJECTION_STATUS_LABELS[self])


OBJECTION_STATUS_LABELS = {
    ObjectionStatus.OPEN: _l("Awaiting an answer"),
    ObjectionStatus.UPHELD: _l("Upheld"),
    ObjectionStatus.REJECTED: _l("Not upheld"),
}


class Objection(Base):
    """An objection (异议) lodged during the public notice, against the whole
    result or one line of it. Public with its answer; the objector is not named."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    attachment_name: Mapped[str] = mapped_column(String(160), default="")
    attachment_stored: Mapped[str | None] = mapped_column(String(64), unique=True)
    attachment_kind: Mapped[str] = mapped_column(String(10), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[ObjectionStatus] = mapped_column(_enum(ObjectionStatus, 10), default=ObjectionStatus.OPEN)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    call: Mapped[Call] = relationship()
    proposal: Mapped[Proposal | None] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
