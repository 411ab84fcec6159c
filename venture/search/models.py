from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from venture.core.models import Base
from venture.core.timeutil import utcnow


class SearchQueue(Base):
    """Objects whose public face changed and must be re-indexed. Written in
    the same transaction as the change; drained after the commit by whichever
    worker gets the index's write lock."""

    __tablename__ = "search_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "call", "proposal", "comment"
    object_id: Mapped[int]
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
