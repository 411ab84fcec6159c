from __future__ import annotations

import enum
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from venture.accounts.models import User
from venture.calls.models import Call
from venture.core.l10n import lazy_gettext as _l
from venture.core.models import Base
from venture.core.timeutil import utcnow
from venture.groups.models import Group


class ProposalStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


class Screening(enum.StrEnum):
    """资格初审: checked against the call's published conditions once it closes."""
    PENDING = "pending"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"

    @property
    def label(self) -> str:
        return str(SCREENING_LABELS[self])


SCREENING_LABELS = {
    Screening.PENDING: _l("Not screened yet"),
    Screening.ELIGIBLE: _l("Eligible"),
    Screening.INELIGIBLE: _l("Not eligible"),
}

STATUS_LABELS = {
    ProposalStatus.DRAFT: _l("Draft"),
    ProposalStatus.SUBMITTED: _l("Submitted"),
    ProposalStatus.WITHDRAWN: _l("Withdrawn"),
}


def line_subtotal_fen(unit_cost_fen: int, quantity: Decimal | str | int) -> int:
    return int((Decimal(unit_cost_fen) * Decimal(quantity)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Proposal(Base):
    """A group's proposal (项目申报书) to one call. The row is the working
    copy the group edits; every submission freezes a ``ProposalVersion``."""

    __tablename__ = "proposals"
    __table_args__ = (
        UniqueConstraint("call_id", "group_id"),
        CheckConstraint("(status = 'draft') = (number IS NULL)", name="number_once_submitted"),
        CheckConstraint("requested_fen >= 0", name="requested_not_negative"),
        Index("ix_proposals_call_status", "call_id", "status"),
        Index("ix_proposals_status_submitted", "status", "submitted_at", "id"),
        Index("ix_proposals_call_status_submitted", "call_id", "status", "submitted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="RESTRICT"), index=True)
    status: Mapped[ProposalStatus] = mapped_column(
        Enum(ProposalStatus, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e]),
        default=ProposalStatus.DRAFT)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(1000), default="")
    sections: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # [{"item": "场地租用", "unit_cost_fen": 50000, "quantity": "12"}, ...]
    budget: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    requested_fen: Mapped[int] = mapped_column(default=0)
    beneficiaries: Mapped[int | None]
    district: Mapped[str] = mapped_column(String(60), default="")
    theme: Mapped[str] = mapped_column(String(60), default="")
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    version_count: Mapped[int] = mapped_column(default=0)
    # Kept by the comments and showcase services for fast sorting of listings.
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")
    support_count: Mapped[int] = mapped_column(default=0, server_default="0")
    comments_locked: Mapped[bool] = mapped_column(default=False, server_default=false())
    screening: Mapped[Screening] = mapped_column(
        Enum(Screening, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e]),
        default=Screening.PENDING, server_default=Screening.PENDING.value)
    screening_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Why, in one published word (venture.screening.services.CATEGORIES); the reason's text stays private.
    screening_category: Mapped[str] = mapped_column(String(20), default="", server_default="")
    screened_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": lock_version}

    call: Mapped[Call] = relationship()
    group: Mapped[Group] = relationship()
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="proposal", order_by="Attachment.id", cascade="all, delete-orphan")
    versions: Mapped[list[ProposalVersion]] = relationship(
        back_populates="proposal", order_by="ProposalVersion.version_no", cascade="all, delete-orphan")

    @property
    def budget_total_fen(self) -> int:
        return sum(line_subtotal_fen(line["unit_cost_fen"], line["quantity"]) for line in self.budget)

    @property
    def current_attachments(self) -> list[Attachment]:
        return [a for a in self.attachments if a.removed_at is None]

    @property
    def latest_version(self) -> ProposalVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def display_title(self) -> str:
        return self.title or str(_l("Untitled proposal"))


class ProposalVersion(Base):
    """An immutable submitted version with its receipt: the number, the
    server time and a SHA-256 fingerprint of the content and attachments."""

    __tablename__ = "proposal_versions"
    __table_args__ = (UniqueConstraint("proposal_id", "version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    version_no: Mapped[int]
    number: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Who the group was when it submitted (names, members, contact): what
    # stays hidden while review is blind, whatever changes later. See
    # venture.proposals.face; not part of the fingerprint.
    identity: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict, server_default="{}")

    proposal: Mapped[Proposal] = relationship(back_populates="versions")
    submitted_by: Mapped[User | None] = relationship()

    @property
    def receipt_label(self) -> str:
        return self.number if self.version_no == 1 else f"{self.number} v{self.version_no}"


class Attachment(Base):
    """A file uploaded to a proposal. Stored outside static/ under a random
    name. Removing it from the draft keeps the file for earlier versions."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    slot: Mapped[str] = mapped_column(String(40))  # a required attachment's key, or "other"
    filename: Mapped[str] = mapped_column(String(160))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # The version of venture.proposals.cleaning that made the stored bytes; 0 for a file
    # stored as it was uploaded (before uploads were cleaned). Older ones are cleaned when served.
    cleaner_version: Mapped[int] = mapped_column(default=0, server_default="0")
    is_public: Mapped[bool] = mapped_column(default=False)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime | None]

    proposal: Mapped[Proposal] = relationship(back_populates="attachments")


class ReceiptCounter(Base):
    """The last receipt number given per year and kind of call."""

    __tablename__ = "receipt_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class StashedForm(Base):
    """What someone typed into an editor when their sign-in had expired,
    kept until they log in again in the same browser."""

    __tablename__ = "stashed_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    browser_digest: Mapped[str] = mapped_column(String(64))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
