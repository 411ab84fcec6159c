from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from venture.accounts.models import User
from venture.core.l10n import lazy_gettext as _l
from venture.core.models import Base
from venture.core.timeutil import utcnow
from venture.proposals.models import Proposal


class CommentStatus(enum.StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"  # held for moderation (pre-moderation or a sensitive word)
    HIDDEN = "hidden"  # hidden by a moderator, with a reason
    DELETED = "deleted"  # deleted by its author

    @property
    def label(self) -> str:
        return str({CommentStatus.VISIBLE: _l("Visible"), CommentStatus.PENDING: _l("Awaiting moderation"),
                    CommentStatus.HIDDEN: _l("Hidden by the moderator"),
                    CommentStatus.DELETED: _l("Deleted by its author")}[self])


class Comment(Base):
    """A resident's comment on a public proposal, or a reply to one (one
    level). The Markdown is rendered and sanitised once, when written."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_proposal_status", "proposal_id", "status", "id"),
        Index("ix_comments_status_created", "status", "created_at"),
        # A proposal's thread, a page at a time: its top-level comments in order.
        Index("ix_comments_proposal_thread", "proposal_id", "parent_id", "created_at", "id"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(
        Enum(CommentStatus, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e]),
        default=CommentStatus.VISIBLE)
    # Written by a member of the proposal's own group: labelled "applicant team" while review is blind.
    by_applicant_team: Mapped[bool] = mapped_column(default=False)
    held_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderation_reason: Mapped[str] = mapped_column(String(500), default="")
    report_count: Mapped[int] = mapped_column(default=0)

    proposal: Mapped[Proposal] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    parent: Mapped[Comment | None] = relationship(remote_side=[id], back_populates="replies")
    replies: Mapped[list[Comment]] = relationship(back_populates="parent", order_by="Comment.id")


class CommentReport(Base):
    __tablename__ = "comment_reports"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]

    comment: Mapped[Comment] = relationship()


class SensitiveWord(Base):
    """A body's list of words that hold a comment for moderation."""

    __tablename__ = "sensitive_words"
    __table_args__ = (UniqueConstraint("body_id", "word"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("organizing_bodies.id", ondelete="CASCADE"))
    word: Mapped[str] = mapped_column(String(60))
