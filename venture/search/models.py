from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
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


# The words of a document: a PostgreSQL ``tsvector`` (plain text elsewhere;
# the table is only written when SEARCH_BACKEND is postgresql).
WORDS = Text().with_variant(TSVECTOR(), "postgresql")


class SearchDocument(Base):
    """One public document of the PostgreSQL search backend
    (``venture.search.pg``): the same public face as a Whoosh document, its
    text as jieba's tokens at word positions (``simple`` configuration: no
    stemming or stop words from PostgreSQL), searched through a GIN index."""

    __tablename__ = "search_documents"
    __table_args__ = (Index("ix_search_documents_words", "words", postgresql_using="gin"),)

    doc_key: Mapped[str] = mapped_column(String(40), primary_key=True)  # "proposal:12"
    kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int]
    call_id: Mapped[str] = mapped_column(String(20), index=True)
    call_kind: Mapped[str] = mapped_column(String(20))
    theme: Mapped[str] = mapped_column(Text, default="")     # ",a,b," for a LIKE on one value
    district: Mapped[str] = mapped_column(Text, default="")
    words: Mapped[str] = mapped_column(WORDS)
    created: Mapped[datetime | None]
