from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from venture.bodies.models import PoolExpert
from venture.calls.models import Call
from venture.core.l10n import lazy_gettext as _l
from venture.core.models import Base
from venture.core.timeutil import utcnow
from venture.groups.models import Group
from venture.proposals.models import Proposal


def _enum(cls: type[enum.Enum], length: int) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class DrawCommitment(Base):
    """A random value fixed before a panel draw and published only as its
    SHA-256 digest; the draw reveals it and mixes it into the seed, so the
    organizer cannot pick a seed, nor know the outcome in advance."""

    __tablename__ = "draw_commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    # Secret until the draw that uses it; public from the call's notice on.
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None]

    call: Mapped[Call] = relationship()


class DrawMethod(enum.StrEnum):
    """Where a draw's seed came from."""

    CEREMONY = "ceremony"  # commitment + witnesses' values + the audit chain's head
    REPLACEMENT = "replacement"  # derived from the draw that chose the member who declined
    SERVER = "server"  # chosen by the server alone (draws made before ceremonies existed)


class PanelDraw(Base):
    """One random draw (抽取) of experts for a call's panel. The seed's
    inputs, the pool snapshot and the request are kept, here and in the audit
    log, so anyone can re-run the draw and get the same experts. A discarded
    draw keeps its row: every draw stays listed."""

    __tablename__ = "panel_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    seed: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    minimums: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    pool_snapshot: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    chosen: Mapped[list[int]] = mapped_column(JSON, default=list)
    shortfalls: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Set on a replacement draw: the member whose decline or withdrawal it fills.
    replaces_member_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    method: Mapped[DrawMethod] = mapped_column(_enum(DrawMethod, 12), default=DrawMethod.SERVER,
                                               server_default=DrawMethod.SERVER.value)
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("draw_commitments.id", ondelete="SET NULL"),
                                                      unique=True)
    # [{"name": ..., "role": ..., "value": ...}] as entered at the draw.
    witnesses: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")
    # The audit chain's head when the draw was made (a seed input).
    chain_seq: Mapped[int | None]
    chain_head: Mapped[str] = mapped_column(String(64), default="", server_default="")
    parent_draw_id: Mapped[int | None] = mapped_column(ForeignKey("panel_draws.id", ondelete="SET NULL"))
    discarded_at: Mapped[datetime | None]
    discard_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    call: Mapped[Call] = relationship()
    commitment: Mapped[DrawCommitment | None] = relationship()


class MemberStatus(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(MEMBER_STATUS_LABELS[self])


MEMBER_STATUS_LABELS = {
    MemberStatus.INVITED: _l("Asked, no answer yet"),
    MemberStatus.ACCEPTED: _l("Accepted"),
    MemberStatus.DECLINED: _l("Declined"),
    MemberStatus.WITHDRAWN: _l("Withdrawn"),
}


class PanelMember(Base):
    """An expert on a call's review panel (评审组), drawn or added by hand."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("call_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("pool_experts.id", ondelete="RESTRICT"), index=True)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("panel_draws.id", ondelete="SET NULL"))
    manual: Mapped[bool] = mapped_column(default=False)
    status: Mapped[MemberStatus] = mapped_column(_enum(MemberStatus, 12), default=MemberStatus.INVITED)
    responded_at: Mapped[datetime | None]
    # None until the member has gone through the list of applicant groups.
    conflicts_declared_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    call: Mapped[Call] = relationship()
    expert: Mapped[PoolExpert] = relationship()
    draw: Mapped[PanelDraw | None] = relationship(foreign_keys=[draw_id])

    @property
    def is_active(self) -> bool:
        return self.status is MemberStatus.ACCEPTED

    @property
    def user_id(self) -> int:
        return self.expert.user_id


class ConflictSource(enum.StrEnum):
    DECLARED = "declared"  # the expert said so
    AFFILIATION = "affiliation"  # an affiliation in the profile matches the group
    MEMBERSHIP = "membership"  # the expert belongs to the group on this site
    ORGANIZER = "organizer"  # added by an organizer

    @property
    def label(self) -> str:
        return str(CONFLICT_SOURCE_LABELS[self])


CONFLICT_SOURCE_LABELS = {
    ConflictSource.DECLARED: _l("Declared by the expert"),
    ConflictSource.AFFILIATION: _l("Found from the expert's affiliations"),
    ConflictSource.MEMBERSHIP: _l("The expert is a member of the group"),
    ConflictSource.ORGANIZER: _l("Added by an organizer"),
}


class Conflict(Base):
    """A tie between a panel member and an applicant group (利益冲突)."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("member_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    source: Mapped[ConflictSource] = mapped_column(_enum(ConflictSource, 12))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    member: Mapped[PanelMember] = relationship()
    group: Mapped[Group] = relationship()


class OrganizerTie(Base):
    """An organizer's tie with a group that applied to a call (回避): they
    stay away from its proposal there, and another organizer acts on it.
    Declared by the organizer, or recorded from their membership of the group."""

    __tablename__ = "organizer_ties"
    # The unique constraint's index serves the one question asked: an organizer's ties in a call.
    __table_args__ = (UniqueConstraint("call_id", "user_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    source: Mapped[ConflictSource] = mapped_column(_enum(ConflictSource, 12))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    group: Mapped[Group] = relationship()


class Assignment(Base):
    """A proposal given to a panel member to review. A moved or withdrawn
    assignment keeps its row, ended, so the history stays readable."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_member_active", "member_id", "ended_at"),
        Index("ix_assignments_proposal_active", "proposal_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id", ondelete="CASCADE"))
    manual: Mapped[bool] = mapped_column(default=False)
    seed: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str] = mapped_column(String(300), default="")

    proposal: Mapped[Proposal] = relationship()
    member: Mapped[PanelMember] = relationship()
    review: Mapped[Review | None] = relationship(back_populates="assignment", uselist=False)

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class ReviewStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return str(REVIEW_STATUS_LABELS[self])


REVIEW_STATUS_LABELS = {
    ReviewStatus.DRAFT: _l("Draft"),
    ReviewStatus.SUBMITTED: _l("Submitted"),
}


class Review(Base):
    """A panel member's scoring of one proposal (评分表): the working copy.
    Every submission freezes a ``ReviewVersion``."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), unique=True)
    status: Mapped[ReviewStatus] = mapped_column(_enum(ReviewStatus, 12), default=ReviewStatus.DRAFT)
    # {"<criterion id>": "7.5"}: strings, so half points survive JSON exactly.
    scores: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    reasons: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    comment_to_applicant: Mapped[str] = mapped_column(Text, default="")
    note_to_organizer: Mapped[str] = mapped_column(Text, default="")
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    version_count: Mapped[int] = mapped_column(default=0)

    __mapper_args__ = {"version_id_col": lock_version}

    assignment: Mapped[Assignment] = relationship(back_populates="review")
    versions: Mapped[list[ReviewVersion]] = relationship(
        back_populates="review", order_by="ReviewVersion.version_no", cascade="all, delete-orphan")


class ReviewVersion(Base):
    """An immutable submitted review, with the total and a fingerprint."""

    __tablename__ = "review_versions"
    __table_args__ = (
        UniqueConstraint("review_id", "version_no"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    version_no: Mapped[int]
    submitted_at: Mapped[datetime]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    fingerprint: Mapped[str] = mapped_column(String(64))

    review: Mapped[Review] = relationship(back_populates="versions")

