"""The PostgreSQL search backend (``SEARCH_BACKEND=postgresql``): the same
documents as the Whoosh index, in the ``search_documents`` table, so every
application server on one database shares one index.

* Text is cut by the same analyzer as the Whoosh side
  (``analysis.analyzer``: jieba's pieces at word positions, English stems),
  in Python; the tokens are written as a ``tsvector`` literal with their
  positions, so PostgreSQL's own parser and dictionaries never touch them
  (the ``simple`` configuration in effect). Fields are kept apart by a gap
  in positions (a phrase never spans a title and a body) and weighted for
  ranking: title A, group B, body D.
* A visitor's query is parsed by the Whoosh query parser (``index.parse``:
  the same words, phrases and operators) and turned into a ``tsquery``:
  words are ANDed, a quoted phrase is ``a <-> b`` (side by side).
* A GIN index on the vector answers ``@@``; ``ts_rank`` orders the matches.
* Writers take a transaction-scoped advisory lock, so two drainers never
  write the same rows at once; a drain that finds it taken leaves the queue
  for the next one (as a Whoosh writer lock does).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, delete, func, select, text
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR, insert
from sqlalchemy.orm import Session
from whoosh import query as wq

from venture.search import analysis
from venture.search.models import SearchDocument

# pg_advisory_xact_lock key of the search writer ("venture search").
WRITE_LOCK_KEY = 0x56534541
MAX_POSITION = 16383   # PostgreSQL's last position; later words share it
MAX_POSITIONS = 250    # positions kept per word and document (PostgreSQL keeps 256)
FIELD_GAP = 2          # positions left free between fields
WEIGHTS = {"title": "A", "group": "B", "body": "D"}
# ts_rank's weights for D, C, B, A: title 3, group 2, body 1 (as the Whoosh boosts).
RANK_WEIGHTS = "{0.1,0.1,0.2,0.3}"


def configured(config: Any) -> bool:
    return str(config.get("SEARCH_BACKEND") or "whoosh").lower() == "postgresql"


def check_config(config: Any) -> str | None:
    """What is wrong with the search settings, or None."""
    name = str(config.get("SEARCH_BACKEND") or "whoosh").lower()
    if name not in {"whoosh", "postgresql"}:
        return f"SEARCH_BACKEND must be whoosh or postgresql, not {name!r}"
    if name == "postgresql" and not str(config.get("DATABASE_URL") or "").startswith("postgresql"):
        return "SEARCH_BACKEND=postgresql needs DATABASE_URL on PostgreSQL"
    return None


def _quote(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def vector_literal(fields: dict[str, str]) -> str:
    """The tsvector (as its text form) of a document's text fields."""
    positions: dict[str, list[str]] = {}
    position = 1
    for name in ("title", "group", "body"):
        value = fields.get(name) or ""
        weight = WEIGHTS[name]
        for token in analysis._ANALYZER(value, mode="index"):
            kept = positions.setdefault(token.text, [])
            if len(kept) < MAX_POSITIONS:
                kept.append(f"{min(position, MAX_POSITION)}{weight}")
            position += 1
        position += FIELD_GAP
    return " ".join(f"{_quote(word)}:{','.join(dict.fromkeys(where))}" for word, where in positions.items())


def _keywords(value: str | None) -> str:
    values = [v.strip() for v in (value or "").split(",") if v.strip()]
    return "," + ",".join(values) + "," if values else ""


def row_for(doc: dict[str, Any]) -> dict[str, Any]:
    return {"doc_key": doc["doc_key"], "kind": doc["kind"], "object_id": int(doc["object_id"]),
            "call_id": str(doc.get("call_id") or ""), "call_kind": str(doc.get("call_kind") or ""),
            "theme": _keywords(doc.get("theme")), "district": _keywords(doc.get("district")),
            "words": vector_literal(doc), "created": _aware(doc.get("created"))}


def _aware(moment: datetime | None) -> datetime | None:
    """Documents hold naive UTC (as whoosh wants it); the column, a moment."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def try_lock(session: Session) -> bool:
    """The writer's lock for the rest of this transaction, if free."""
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(WRITE_LOCK_KEY))))


def lock(session: Session) -> None:
    session.execute(select(func.pg_advisory_xact_lock(WRITE_LOCK_KEY)))


def write(session: Session, docs: Iterable[dict[str, Any]]) -> int:
    """Insert or replace these documents."""
    rows = [row_for(doc) for doc in docs]
    if not rows:
        return 0
    table = SearchDocument.__table__
    values = {column: bindparam(column) for column in rows[0]}
    values["words"] = cast(bindparam("words", type_=Text), TSVECTOR)
    stmt = insert(table).values(values)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.doc_key],
                                      set_={name: stmt.excluded[name] for name in rows[0] if name != "doc_key"})
    session.execute(stmt, rows)
    return len(rows)


def remove(session: Session, doc_keys: Iterable[str] = (), call_ids: Iterable[str] = ()) -> None:
    keys, calls = list(doc_keys), list(call_ids)
    if keys:
        session.execute(delete(SearchDocument).where(SearchDocument.doc_key.in_(keys)))
    if calls:
        session.execute(delete(SearchDocument).where(SearchDocument.call_id.in_(calls)))


def clear(session: Session) -> None:
    session.execute(delete(SearchDocument))


# Queries ---------------------------------------------------------------------------------

def tsquery(query: wq.Query | None) -> str | None:
    """A Whoosh query over the text fields as a tsquery's text, or None
    when nothing is left to look for."""
    if query is None or query is wq.NullQuery:
        return None
    if isinstance(query, wq.Term):
        return _quote(query.text) if query.text else None
    if isinstance(query, wq.Phrase):
        words = [_quote(word) for word in query.words if word]
        return ("(" + " <-> ".join(words) + ")") if words else None
    if isinstance(query, wq.Not):
        inner = tsquery(query.query)
        return f"!{inner}" if inner else None
    if isinstance(query, wq.AndNot):
        positive, negative = tsquery(query.a), tsquery(query.b)
        return f"({positive} & !{negative})" if positive and negative else positive
    if isinstance(query, wq.AndMaybe):  # the optional part only adds to the score
        return tsquery(query.a)
    if isinstance(query, wq.Require):
        return _joined(" & ", [query.a, query.b])
    if isinstance(query, (wq.Or, wq.DisjunctionMax)):
        return _joined(" | ", query.children())
    if isinstance(query, wq.And):
        return _joined(" & ", query.children())
    return None


def _joined(operator: str, children: Iterable[wq.Query]) -> str | None:
    parts = list(dict.fromkeys(part for part in (tsquery(child) for child in children) if part))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(" + operator.join(parts) + ")"


def _like(value: str) -> str:
    return "%," + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ",%"


_COLUMNS = {"type": "kind", "call": "call_id", "kind": "call_kind"}


def matching(session: Session, query: wq.Query | None, filters: dict[str, str], limit: int) -> tuple[list[Any], bool]:
    """Rows (kind, object_id, call_id, call_kind, theme, district) of the
    best ``limit`` matches (the newest when ``query`` is None), and whether
    more matched."""
    doc = SearchDocument
    conditions = []
    for name, value in sorted(filters.items()):
        if name in _COLUMNS:
            conditions.append(getattr(doc, _COLUMNS[name]) == value)
        else:
            conditions.append(getattr(doc, name).like(_like(value), escape="\\"))
    stmt = select(doc.kind, doc.object_id, doc.call_id, doc.call_kind, doc.theme, doc.district)
    wanted = tsquery(query)
    if wanted is not None:
        asked = cast(bindparam("asked", wanted, type_=Text), TSQUERY)
        conditions.append(doc.words.op("@@")(asked))
        rank = func.ts_rank(text(f"'{RANK_WEIGHTS}'::float4[]"), doc.words, asked)
        stmt = stmt.order_by(rank.desc(), doc.created.desc(), doc.doc_key)
    elif query is not None:
        return [], False
    else:
        stmt = stmt.order_by(doc.created.desc().nulls_last(), doc.doc_key)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    rows = session.execute(stmt.limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


__all__ = ["check_config", "clear", "configured", "lock", "matching", "remove", "row_for", "try_lock",
           "tsquery", "vector_literal", "write"]
