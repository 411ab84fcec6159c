from __future__ import annotations

import enum
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from venture.bodies.models import OrganizingBody
from venture.core.l10n import lazy_gettext as _l
from venture.core.models import Base
from venture.core.timeutil import utcnow


def _enum(cls: type[enum.Enum], length: int) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class CallKind(enum.StrEnum):
    SOCIAL_VENTURE = "social_venture"  # 公益创投
    MICRO_LIVELIHOOD = "micro_livelihood"  # 微民生项目

    @property
    def label(self) -> str:
        return str(CALL_KIND_LABELS[self])

    @property
    def code(self) -> str:
        """Used in receipt numbers: 2026-SV-0017."""
        return "SV" if self is CallKind.SOCIAL_VENTURE else "ML"


CALL_KIND_LABELS = {
    CallKind.SOCIAL_VENTURE: _l("Social venture"),
    CallKind.MICRO_LIVELIHOOD: _l("Micro-livelihood project"),
}


class Phase(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    REVIEW = "review"
    NOTICE = "notice"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(PHASE_LABELS[self])


PHASE_LABELS = {
    Phase.DRAFT: _l("Draft"),
    Phase.OPEN: _l("Open"),
    Phase.CLOSED: _l("Closed"),
    Phase.REVIEW: _l("Under review"),
    Phase.NOTICE: _l("Public notice"),
    Phase.PUBLISHED: _l("Results published"),
    Phase.CANCELLED: _l("Cancelled"),
}

# The state machine: the only moves a call can make.
TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    Phase.DRAFT: frozenset({Phase.OPEN, Phase.CANCELLED}),
    Phase.OPEN: frozenset({Phase.CLOSED, Phase.CANCELLED}),
    Phase.CLOSED: frozenset({Phase.REVIEW, Phase.CANCELLED}),
    Phase.REVIEW: frozenset({Phase.NOTICE, Phase.CANCELLED}),
    Phase.NOTICE: frozenset({Phase.PUBLISHED}),
    Phase.PUBLISHED: frozenset(),
    Phase.CANCELLED: frozenset(),
}

DEFAULT_SECTIONS: dict[CallKind, list[tuple[str, Any]]] = {
    CallKind.SOCIAL_VENTURE: [
        ("need", _l("Need analysis")), ("goals", _l("Goals")), ("plan", _l("Service plan")),
        ("outcomes", _l("Outputs and outcomes")), ("team", _l("Team")),
        ("risk", _l("Risks and how we handle them")), ("sustainability", _l("Sustainability")),
    ],
    CallKind.MICRO_LIVELIHOOD: [
        ("problem", _l("What the problem is")), ("activities", _l("What we will do")),
        ("beneficiaries", _l("Who benefits and how")),
    ],
}


class Call(Base):
    """An open call (项目征集). Its rules are published before anyone applies
    and cannot change once it opens."""

    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("min_grant_fen >= 0 AND min_grant_fen <= max_grant_fen", name="grant_range"),
        CheckConstraint("max_grant_fen <= total_budget_fen", name="max_within_budget"),
        CheckConstraint("opens_at < closes_at", name="opens_before_closing"),
        CheckConstraint("allow_registered OR allow_grassroots", name="someone_may_apply"),
        CheckConstraint("reviewers_per_proposal BETWEEN 1 AND 15", name="reviewers_range"),
        CheckConstraint("notice_days BETWEEN 1 AND 60", name="notice_range"),
        CheckConstraint("aggregation_method IN ('mean', 'trimmed')", name="aggregation_method_known"),
        CheckConstraint("component_weight >= 0 AND component_weight < 1", name="component_weight_range"),
        Index("ix_calls_phase_closes_at", "phase", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("organizing_bodies.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[CallKind] = mapped_column(_enum(CallKind, 20))
    phase: Mapped[Phase] = mapped_column(_enum(Phase, 20), default=Phase.DRAFT)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(1000))
    text_markdown: Mapped[str] = mapped_column(Text, default="")
    text_html: Mapped[str] = mapped_column(Text, default="")
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    allow_registered: Mapped[bool] = mapped_column(default=True)
    allow_grassroots: Mapped[bool] = mapped_column(default=False)
    total_budget_fen: Mapped[int]
    min_grant_fen: Mapped[int]
    max_grant_fen: Mapped[int]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    # A published grace period: a submission that reached the server up to
    # this many minutes after the closing time is still accepted.
    grace_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # [{"key": "need", "title": "需求分析"}, ...] and [{"key": "budget-sheet", "title": "..."}]
    sections: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    required_attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    reviewers_per_proposal: Mapped[int] = mapped_column(default=3)
    min_fundable_score: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(60))
    notice_days: Mapped[int] = mapped_column(default=7)
    # "post": comments appear at once; "pre": after a moderator approves them.
    comment_moderation: Mapped[str] = mapped_column(String(4), default="post", server_default="post")
    # Residents' comments and support are kept from a reviewer until their own
    # review is submitted; a call may show them afterwards.
    reviewers_see_opinion: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When reviewers should be done; shown on their dashboard and in reminders.
    review_due_at: Mapped[datetime | None]
    # How scores become a result, published with the call (see venture.results.aggregate).
    aggregation_method: Mapped[str] = mapped_column(String(10), default="mean", server_default="mean")
    normalise_scores: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A composite score: this fraction comes from an organizer-entered component.
    component_weight: Mapped[Decimal] = mapped_column(Numeric(3, 2), default=Decimal(0), server_default="0")
    component_label: Mapped[str] = mapped_column(String(120), default="", server_default="")
    disagreement_threshold: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(20), server_default="20")
    # Ties go to the higher mean on this criterion (its position), then to the earlier submission.
    tie_criterion_position: Mapped[int | None]
    notice_opened_at: Mapped[datetime | None]
    notice_ends_at: Mapped[datetime | None]
    results_published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    body: Mapped[OrganizingBody] = relationship()
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="Criterion.position")

    # Derived ----------------------------------------------------------------
    @property
    def accepts_until(self) -> datetime:
        """The last moment a submission may reach the server: the closing time
        plus the published grace period."""
        return self.closes_at + timedelta(minutes=self.grace_minutes or 0)

    def is_accepting(self, now: datetime) -> bool:
        """Submissions are accepted between opening and closing (plus the
        grace period), judged by when the request reached the server."""
        return self.phase is Phase.OPEN and self.opens_at <= now < self.accepts_until

    def effective_phase(self, now: datetime) -> Phase:
        """The phase as the clock has it: an open call past its closing time
        (and grace period) is closed even before anyone records the move."""
        if self.phase is Phase.OPEN and now >= self.accepts_until:
            return Phase.CLOSED
        return self.phase

    def is_upcoming(self, now: datetime) -> bool:
        return self.phase is Phase.OPEN and now < self.opens_at

    def closes_within(self, now: datetime, delta: timedelta) -> bool:
        return self.is_accepting(now) and self.closes_at - now <= delta

    @property
    def is_public(self) -> bool:
        return self.phase is not Phase.DRAFT

    @property
    def rubric_total_weight(self) -> int:
        return sum(c.weight for c in self.criteria)

    @property
    def eligible_kinds(self) -> set[str]:
        kinds = set()
        if self.allow_registered:
            kinds.add("registered")
        if self.allow_grassroots:
            kinds.add("grassroots")
        return kinds

    def section_title(self, key: str) -> str:
        return next((s["title"] for s in self.sections if s["key"] == key), key)


class Criterion(Base):
    """One line of the scoring rubric (评分项)."""

    __tablename__ = "criteria"
    __table_args__ = (
        UniqueConstraint("call_id", "position"),
        CheckConstraint("weight > 0 AND weight <= 100", name="weight_range"),
        CheckConstraint("max_points > 0", name="max_points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    guidance: Mapped[str] = mapped_column(String(1000), default="")
    weight: Mapped[int]
    max_points: Mapped[Decimal] = mapped_column(Numeric(6, 2))

    call: Mapped[Call] = relationship(back_populates="criteria")
