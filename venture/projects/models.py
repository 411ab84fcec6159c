"""Funded projects and everything that follows the award.

The call's plan (``ProjectPlan``) is fixed before the call opens, like its
rubric. Publishing the final result makes a ``Project`` for every funded line;
from the plan the project gets its ``Tranche`` rows at once and, when the
organizer issues the ``Agreement``, its ``Milestone`` rows (each a report
with a due date). The group files a ``Report`` (working copy) per milestone;
every submission freezes a ``ReportVersion``. An ``Evaluation`` (mid-term,
final) is scored by ``Evaluator`` rows; a failed one cuts the remaining
tranches and records a ``ParticipationBar``.

What the public may see (for the disclosure pages and the API): accepted
report versions' ``content["public"]`` part, paid and cut tranches, and
finalised evaluations. ``content["private"]`` of a report version, receipts,
drafts and sheets in progress never are.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from venture.accounts.models import User
from venture.calls.models import Call
from venture.core.l10n import lazy_gettext as _l
from venture.core.models import Base
from venture.core.timeutil import utcnow
from venture.groups.models import Group
from venture.proposals.models import Proposal


def _enum(cls: type[enum.Enum], length: int) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class _Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return str(LABELS[self])


# The call's plan ------------------------------------------------------------------------

class ProjectPlan(Base):
    """What a call promises about the projects it funds, published with the
    call and frozen when it opens: the project period, the reports and their
    months, the tranche plan, the evaluation rubric and the budget-change
    threshold. Tranches, reports and dimensions are JSON: they are rules, read
    whole; the projects copy them into their own rows."""

    __tablename__ = "project_plans"
    __table_args__ = (
        CheckConstraint("project_months BETWEEN 1 AND 60", name="months_range"),
        CheckConstraint("satisfaction_weight BETWEEN 0 AND 100", name="satisfaction_range"),
        CheckConstraint("budget_change_percent >= 0 AND budget_change_percent <= 100", name="threshold_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    project_months: Mapped[int]
    # [{"key": "r1", "title": "中期报告", "month": 3, "kind": "midterm"}, ...]; exactly one "final", last.
    reports: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"label": "首期", "condition": "agreement_signed", "percent": "30"} or {"amount_fen": 200000},
    #  "milestone": "r1" for "report_accepted"]
    tranches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"key": "basis", "name": "组织基础", "weight": 10}, ...]
    dimensions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    satisfaction_weight: Mapped[int] = mapped_column(default=10)
    # Moving money between budget lines needs the organizer's approval when a
    # line ends up further than this share of its approved amount from it.
    budget_change_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(10))
    frozen_at: Mapped[datetime | None]
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    call: Mapped[Call] = relationship()

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


# Projects --------------------------------------------------------------------------------

class ProjectStage(_Labelled):
    AWAITING_AGREEMENT = "awaiting_agreement"
    AGREEMENT_ISSUED = "agreement_issued"
    UNDER_WAY = "under_way"
    COMPLETED = "completed"
    FAILED = "failed"


class Project(Base):
    """A funded line of a published result (资助项目): what was approved
    (amount, budget lines, the outputs and outcomes promised) and where it
    stands now."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("approved_fen > 0", name="approved_positive"),
        Index("ix_projects_call_stage", "call_id", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="RESTRICT"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    approved_fen: Mapped[int]
    # The approved budget lines: [{"item": "场地", "amount_fen": 120000}], adding up to approved_fen.
    budget: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The outputs and outcomes promised: [{"title": "Goals", "text": "..."}] from the submitted proposal.
    promised: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    beneficiaries_target: Mapped[int | None]
    result_record_id: Mapped[int | None] = mapped_column(ForeignKey("result_records.id", ondelete="SET NULL"))
    result_rank: Mapped[int | None]
    result_score: Mapped[str] = mapped_column(String(12), default="")
    stage: Mapped[ProjectStage] = mapped_column(_enum(ProjectStage, 20), default=ProjectStage.AWAITING_AGREEMENT)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    call: Mapped[Call] = relationship()
    proposal: Mapped[Proposal] = relationship()
    group: Mapped[Group] = relationship()
    agreement: Mapped[Agreement | None] = relationship(back_populates="project", uselist=False)
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project", order_by="Milestone.position", cascade="all, delete-orphan")
    tranches: Mapped[list[Tranche]] = relationship(
        back_populates="project", order_by="Tranche.position", cascade="all, delete-orphan")
    evaluations: Mapped[list[Evaluation]] = relationship(
        back_populates="project", order_by="Evaluation.id", cascade="all, delete-orphan")
    budget_changes: Mapped[list[BudgetChange]] = relationship(
        back_populates="project", order_by="BudgetChange.id", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.stage is ProjectStage.UNDER_WAY

    @property
    def paid_fen(self) -> int:
        return sum(t.paid_fen or 0 for t in self.tranches if t.status is TrancheStatus.PAID)

    @property
    def cut_fen(self) -> int:
        return sum(t.planned_fen for t in self.tranches if t.status is TrancheStatus.CUT)

    @property
    def remaining_fen(self) -> int:
        """What may still be paid: the grant less what was paid and what was cut."""
        return max(0, self.approved_fen - self.paid_fen - self.cut_fen)

    def evaluation(self, stage: EvaluationStage | str) -> Evaluation | None:
        return next((e for e in self.evaluations if e.stage == EvaluationStage(stage)), None)

    def milestone(self, key: str) -> Milestone | None:
        return next((m for m in self.milestones if m.key == key), None)


class Agreement(Base):
    """The project agreement (项目协议): issued by an organizer, accepted on
    the platform by the group's owner. ``content`` is what both sides agreed
    to (amount, period, budget, promises, tranche plan, reports, rubric) and
    is never changed after issue; its fingerprint is in the audit chain."""

    __tablename__ = "project_agreements"
    __table_args__ = (
        CheckConstraint("accepted_by_id IS NULL OR accepted_at IS NOT NULL", name="accepted_with_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    terms: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[datetime]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    project: Mapped[Project] = relationship(back_populates="agreement")
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])


# Milestones and reports ------------------------------------------------------------------

class MilestoneKind(_Labelled):
    PROGRESS = "progress"
    MIDTERM = "midterm"
    FINAL = "final"


class ReportStatus(_Labelled):
    DUE = "due"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    RESUBMITTED = "resubmitted"
    ACCEPTED = "accepted"


class Milestone(Base):
    """A report the project owes by a date (里程碑 / 进度报告). Its status is
    the report's: due → submitted → accepted, or changes requested (with the
    sections flagged) → resubmitted → accepted."""

    __tablename__ = "project_milestones"
    __table_args__ = (
        UniqueConstraint("project_id", "position"),
        CheckConstraint("(status = 'accepted') = (accepted_at IS NOT NULL)", name="accepted_when_accepted"),
        Index("ix_project_milestones_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[MilestoneKind] = mapped_column(_enum(MilestoneKind, 10))
    # The last day the report may come in, in the project's time zone.
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus, 20), default=ReportStatus.DUE)
    version_count: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The sections the organizer asked to change, and what they wrote.
    flagged: Mapped[list[str]] = mapped_column(JSON, default=list)
    review_note: Mapped[str] = mapped_column(Text, default="")
    reminded_before_at: Mapped[datetime | None]
    reminded_after_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship(back_populates="milestones")
    report: Mapped[Report | None] = relationship(back_populates="milestone", uselist=False,
                                                 cascade="all, delete-orphan")
    versions: Mapped[list[ReportVersion]] = relationship(
        back_populates="milestone", order_by="ReportVersion.version_no", cascade="all, delete-orphan")
    files: Mapped[list[ReportFile]] = relationship(
        back_populates="milestone", order_by="ReportFile.id", cascade="all, delete-orphan")

    @property
    def is_open_for_filing(self) -> bool:
        return self.status in (ReportStatus.DUE, ReportStatus.CHANGES_REQUESTED)

    @property
    def awaits_review(self) -> bool:
        return self.status in (ReportStatus.SUBMITTED, ReportStatus.RESUBMITTED)

    @property
    def latest_version(self) -> ReportVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def accepted_version(self) -> ReportVersion | None:
        return self.latest_version if self.status is ReportStatus.ACCEPTED else None

    @property
    def current_files(self) -> list[ReportFile]:
        return [f for f in self.files if f.removed_at is None]


class Report(Base):
    """The working copy of a milestone's report, edited by any member of the
    group until it is submitted. Public parts: activities, people served,
    team, spending per budget line, photos and documents marked public.
    Private: the note to the organizers and the receipts."""

    __tablename__ = "project_reports"
    __table_args__ = (CheckConstraint("beneficiaries_served IS NULL OR beneficiaries_served >= 0",
                                      name="served_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("project_milestones.id", ondelete="CASCADE"), unique=True)
    activities: Mapped[str] = mapped_column(Text, default="")
    activities_held: Mapped[int | None]
    beneficiaries_served: Mapped[int | None]
    team: Mapped[str] = mapped_column(Text, default="")
    # Spending to date per approved budget line: {"0": 120000, "1": 0} (line index -> fen).
    spending: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    private_note: Mapped[str] = mapped_column(Text, default="")
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": lock_version}

    milestone: Mapped[Milestone] = relationship(back_populates="report")


class ReportVersion(Base):
    """A submitted report, frozen: ``content`` = {"public": {...},
    "private": {...}, "files": [...]}, fingerprinted and audited."""

    __tablename__ = "project_report_versions"
    __table_args__ = (UniqueConstraint("milestone_id", "version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("project_milestones.id", ondelete="CASCADE"))
    version_no: Mapped[int]
    submitted_at: Mapped[datetime]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))

    milestone: Mapped[Milestone] = relationship(back_populates="versions")


class FilePurpose(_Labelled):
    PHOTO = "photo"
    DOCUMENT = "document"
    RECEIPT = "receipt"


class ReportFile(Base):
    """A photo, document or receipt attached to a report, stored with its
    metadata (author, camera, place) already removed. Receipts belong to a
    budget line and are never public."""

    __tablename__ = "project_report_files"
    __table_args__ = (
        CheckConstraint("purpose != 'receipt' OR is_public = false", name="receipts_private"),
        CheckConstraint("purpose != 'receipt' OR budget_line IS NOT NULL", name="receipt_line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("project_milestones.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[FilePurpose] = mapped_column(_enum(FilePurpose, 10))
    budget_line: Mapped[int | None]
    filename: Mapped[str] = mapped_column(String(160))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    is_public: Mapped[bool] = mapped_column(default=False)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime | None]

    milestone: Mapped[Milestone] = relationship(back_populates="files")


class BudgetChangeStatus(_Labelled):
    APPLIED = "applied"  # within the call's threshold: in force at once
    PENDING = "pending"  # beyond it: waits for the organizer
    APPROVED = "approved"
    REFUSED = "refused"


class BudgetChange(Base):
    """Money moved from one approved budget line to another."""

    __tablename__ = "project_budget_changes"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("from_line != to_line", name="two_lines"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    from_line: Mapped[int]
    to_line: Mapped[int]
    amount_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[BudgetChangeStatus] = mapped_column(_enum(BudgetChangeStatus, 10))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship(back_populates="budget_changes")

    @property
    def in_force(self) -> bool:
        return self.status in (BudgetChangeStatus.APPLIED, BudgetChangeStatus.APPROVED)


# Tranches ------------------------------------------------------------------------------------

class TrancheCondition(_Labelled):
    AGREEMENT_SIGNED = "agreement_signed"
    MIDTERM_PASSED = "midterm_passed"
    FINAL_PASSED = "final_passed"
    REPORT_ACCEPTED = "report_accepted"


class TrancheStatus(_Labelled):
    PLANNED = "planned"
    RELEASED = "released"
    PAID = "paid"
    WITHHELD = "withheld"
    CUT = "cut"


class Tranche(Base):
    """One payment of the grant (拨款). Moves only through
    ``venture.projects.services.move_tranche``."""

    __tablename__ = "project_tranches"
    __table_args__ = (
        UniqueConstraint("project_id", "position"),
        CheckConstraint("planned_fen >= 0", name="planned_not_negative"),
        CheckConstraint("paid_fen IS NULL OR (paid_fen > 0 AND paid_fen <= planned_fen)", name="paid_within_plan"),
        CheckConstraint("(status = 'paid') = (paid_fen IS NOT NULL AND paid_on IS NOT NULL AND "
                        "payment_reference IS NOT NULL)", name="paid_has_payment"),
        CheckConstraint("status NOT IN ('withheld', 'cut') OR reason != '' OR evaluation_id IS NOT NULL",
                        name="reason_when_stopped"),
        CheckConstraint("condition != 'report_accepted' OR milestone_key IS NOT NULL", name="report_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(60))
    condition: Mapped[TrancheCondition] = mapped_column(_enum(TrancheCondition, 20))
    milestone_key: Mapped[str | None] = mapped_column(String(20))
    planned_fen: Mapped[int]
    status: Mapped[TrancheStatus] = mapped_column(_enum(TrancheStatus, 10), default=TrancheStatus.PLANNED)
    released_at: Mapped[datetime | None]
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_fen: Mapped[int | None]
    payment_reference: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Set when a failed evaluation cut the tranche (its reason is then the evaluation).
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("project_evaluations.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    project: Mapped[Project] = relationship(back_populates="tranches")
    cut_by: Mapped[Evaluation | None] = relationship(foreign_keys=[evaluation_id])

    @property
    def is_open(self) -> bool:
        """Not yet paid and not cut: money that may still flow."""
        return self.status in (TrancheStatus.PLANNED, TrancheStatus.RELEASED, TrancheStatus.WITHHELD)


# Evaluation -----------------------------------------------------------------------------------

class EvaluationStage(_Labelled):
    MIDTERM = "midterm"
    FINAL = "final"


class EvaluationStatus(_Labelled):
    OPEN = "open"
    FINALISED = "finalised"


class Band(_Labelled):
    EXCELLENT = "excellent"
    PASS = "pass"
    FAIL = "fail"


class Evaluation(Base):
    """A mid-term (中期评估) or final (结项评估) evaluation on 100 points:
    the evaluators' points on the rubric's dimensions, plus the satisfaction
    component. ``rubric`` is the call's, copied when it opens; ``content``
    the frozen aggregate once finalised (fingerprinted, audited)."""

    __tablename__ = "project_evaluations"
    __table_args__ = (
        UniqueConstraint("project_id", "stage"),
        CheckConstraint("satisfaction_value IS NULL OR (satisfaction_value >= 0 AND satisfaction_value <= 100)",
                        name="satisfaction_range"),
        CheckConstraint("(status = 'finalised') = (score IS NOT NULL AND band IS NOT NULL AND "
                        "finalised_at IS NOT NULL)", name="finalised_has_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    stage: Mapped[EvaluationStage] = mapped_column(_enum(EvaluationStage, 10))
    status: Mapped[EvaluationStatus] = mapped_column(_enum(EvaluationStatus, 10), default=EvaluationStatus.OPEN)
    # {"dimensions": [{"key", "name", "weight"}], "satisfaction_weight": 10}
    rubric: Mapped[dict[str, Any]] = mapped_column(JSON)
    opened_at: Mapped[datetime]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    # The beneficiaries' satisfaction (0-100, the share satisfied), entered by
    # an organizer (source "entered") or taken from a survey (source "survey").
    satisfaction_value: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    satisfaction_source: Mapped[str] = mapped_column(String(20), default="")
    satisfaction_note: Mapped[str] = mapped_column(Text, default="")
    satisfaction_set_at: Mapped[datetime | None]
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    band: Mapped[Band | None] = mapped_column(_enum(Band, 10))
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    finalised_at: Mapped[datetime | None]
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    project: Mapped[Project] = relationship(back_populates="evaluations")
    evaluators: Mapped[list[Evaluator]] = relationship(
        back_populates="evaluation", order_by="Evaluator.id", cascade="all, delete-orphan")

    @property
    def is_finalised(self) -> bool:
        return self.status is EvaluationStatus.FINALISED

    @property
    def passed(self) -> bool:
        return self.is_finalised and self.band in (Band.PASS, Band.EXCELLENT)

    @property
    def dimensions(self) -> list[dict[str, Any]]:
        return list(self.rubric.get("dimensions") or [])

    @property
    def satisfaction_weight(self) -> int:
        return int(self.rubric.get("satisfaction_weight") or 0)


class EvaluatorRole(_Labelled):
    ORGANIZER = "organizer"
    INVITED = "invited"


class EvaluatorStatus(_Labelled):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class SheetStatus(_Labelled):
    EMPTY = "empty"
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Evaluator(Base):
    """Someone who scores an evaluation: an organizer of the body, or an
    expert of the body's pool invited for it (often a third-party evaluation
    body's staff). Invited evaluators accept, then declare whether they have
    a tie with the group; ties found from their profile or memberships are
    recorded too. A conflicted evaluator never scores. The score sheet is on
    this row: points and a reason per dimension."""

    __tablename__ = "project_evaluators"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "user_id"),
        CheckConstraint("total IS NULL OR total >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("project_evaluations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("pool_experts.id", ondelete="SET NULL"))
    role: Mapped[EvaluatorRole] = mapped_column(_enum(EvaluatorRole, 10))
    organisation: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[EvaluatorStatus] = mapped_column(_enum(EvaluatorStatus, 10), default=EvaluatorStatus.INVITED)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None]
    conflicts_declared_at: Mapped[datetime | None]
    # Set when a tie with the group is known: "declared", "affiliation", "membership" or "organizer".
    conflict_source: Mapped[str | None] = mapped_column(String(12))
    conflict_reason: Mapped[str] = mapped_column(String(500), default="")
    sheet_status: Mapped[SheetStatus] = mapped_column(_enum(SheetStatus, 10), default=SheetStatus.EMPTY)
    # {"basis": "8.5"}: strings, so decimal points survive JSON exactly; reasons likewise by dimension key.
    scores: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    reasons: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    total: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    submitted_at: Mapped[datetime | None]
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    evaluation: Mapped[Evaluation] = relationship(back_populates="evaluators")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def conflicted(self) -> bool:
        return self.conflict_source is not None

    @property
    def may_score(self) -> bool:
        return (self.status is EvaluatorStatus.ACCEPTED and self.conflicts_declared_at is not None
                and not self.conflicted)

    @property
    def counts(self) -> bool:
        """Whether this sheet goes into the aggregate."""
        return self.may_score and self.sheet_status is SheetStatus.SUBMITTED


# The two-year bar ----------------------------------------------------------------------------

class ParticipationBar(Base):
    """A group may not apply to a body's calls from ``starts_at`` until
    ``ends_at`` (two years after a failed evaluation, to the day, in the
    project's time zone), unless an organizer lifts the bar with a reason."""

    __tablename__ = "participation_bars"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ending"),
        CheckConstraint("lifted_at IS NULL OR lift_reason != ''", name="lifted_with_reason"),
        Index("ix_participation_bars_group_body", "group_id", "body_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    body_id: Mapped[int] = mapped_column(ForeignKey("organizing_bodies.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("project_evaluations.id", ondelete="SET NULL"),
                                                      unique=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lift_reason: Mapped[str] = mapped_column(Text, default="")

    group: Mapped[Group] = relationship()
    project: Mapped[Project | None] = relationship()
    evaluation: Mapped[Evaluation | None] = relationship()

    @property
    def last_day(self) -> date:
        """The last day of the bar, in its time zone (it ends at the next midnight)."""
        from datetime import timedelta
        from zoneinfo import ZoneInfo

        return (self.ends_at.astimezone(ZoneInfo(self.timezone)) - timedelta(days=1)).date()

    def is_active(self, now: datetime) -> bool:
        return self.lifted_at is None and self.starts_at <= now < self.ends_at


LABELS: dict[Any, Any] = {
    ProjectStage.AWAITING_AGREEMENT: _l("Agreement not issued yet"),
    ProjectStage.AGREEMENT_ISSUED: _l("Agreement issued, awaiting the group"),
    ProjectStage.UNDER_WAY: _l("Under way"),
    ProjectStage.COMPLETED: _l("Completed"),
    ProjectStage.FAILED: _l("Failed its evaluation"),
    MilestoneKind.PROGRESS: _l("Progress report"),
    MilestoneKind.MIDTERM: _l("Mid-term report"),
    MilestoneKind.FINAL: _l("Final report"),
    ReportStatus.DUE: _l("Due"),
    ReportStatus.SUBMITTED: _l("Submitted"),
    ReportStatus.CHANGES_REQUESTED: _l("Changes requested"),
    ReportStatus.RESUBMITTED: _l("Resubmitted"),
    ReportStatus.ACCEPTED: _l("Accepted"),
    FilePurpose.PHOTO: _l("Photo"),
    FilePurpose.DOCUMENT: _l("Document"),
    FilePurpose.RECEIPT: _l("Receipt"),
    BudgetChangeStatus.APPLIED: _l("In force (within the threshold)"),
    BudgetChangeStatus.PENDING: _l("Awaiting the organizers' approval"),
    BudgetChangeStatus.APPROVED: _l("Approved"),
    BudgetChangeStatus.REFUSED: _l("Refused"),
    TrancheCondition.AGREEMENT_SIGNED: _l("Agreement signed"),
    TrancheCondition.MIDTERM_PASSED: _l("Mid-term evaluation passed"),
    TrancheCondition.FINAL_PASSED: _l("Final evaluation passed"),
    TrancheCondition.REPORT_ACCEPTED: _l("Report accepted"),
    TrancheStatus.PLANNED: _l("Planned"),
    TrancheStatus.RELEASED: _l("Released for payment"),
    TrancheStatus.PAID: _l("Paid"),
    TrancheStatus.WITHHELD: _l("Withheld"),
    TrancheStatus.CUT: _l("Cut"),
    EvaluationStage.MIDTERM: _l("Mid-term evaluation"),
    EvaluationStage.FINAL: _l("Final evaluation"),
    EvaluationStatus.OPEN: _l("Open for scoring"),
    EvaluationStatus.FINALISED: _l("Finalised"),
    Band.EXCELLENT: _l("Excellent"),
    Band.PASS: _l("Pass"),
    Band.FAIL: _l("Fail"),
    EvaluatorRole.ORGANIZER: _l("Organizer"),
    EvaluatorRole.INVITED: _l("Invited evaluator"),
    EvaluatorStatus.INVITED: _l("Asked, no answer yet"),
    EvaluatorStatus.ACCEPTED: _l("Accepted"),
    EvaluatorStatus.DECLINED: _l("Declined"),
    SheetStatus.EMPTY: _l("Not started"),
    SheetStatus.DRAFT: _l("Draft"),
    SheetStatus.SUBMITTED: _l("Submitted"),
}
