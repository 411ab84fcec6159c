"""The Whoosh index: its schema, opening it, the writer lock, one long-lived
searcher per process, and turning what a visitor typed into a safe query.

Only public text is ever written here (see ``services.document_for``); there
is no field for anything else. The index lives in ``SEARCH_INDEX_FOLDER`` and
is created the first time anyone needs it.
"""
from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from whoosh import index as whoosh_index
from whoosh import query as q
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.qparser import GroupPlugin, MultifieldPlugin, OperatorsPlugin, PhrasePlugin, QueryParser, syntax
from whoosh.qparser.plugins import Plugin
from whoosh.searching import Searcher
from whoosh.writing import SegmentWriter

from venture.search import analysis

__all__ = ["LockError", "SCHEMA", "SearchIndex", "get_index", "parse"]

TEXT_FIELDS = ("title", "body", "group")
FIELD_BOOSTS = {"title": 3.0, "body": 1.0, "group": 2.0}
MAX_QUERY_CHARS = 200
WRITE_LOCK = "MAIN_WRITELOCK"  # the name whoosh's own writer locks under


def make_schema() -> Schema:
    words = analysis.analyzer()
    return Schema(
        doc_key=ID(stored=True, unique=True),          # "proposal:12"
        kind=ID(stored=True, sortable=True),           # call, proposal, comment
        object_id=NUMERIC(int, bits=64, stored=True, sortable=True),
        call_id=ID(stored=True, sortable=True),
        call_kind=ID(sortable=True),
        theme=KEYWORD(commas=True, sortable=True),     # a call may have several
        district=KEYWORD(commas=True, sortable=True),
        title=TEXT(analyzer=words, stored=True, multitoken_query="and"),
        body=TEXT(analyzer=words, stored=True, multitoken_query="and"),
        # Filled only once the call names its groups (public notice onwards).
        group=TEXT(analyzer=words, multitoken_query="and"),
        created=DATETIME(sortable=True),
    )


SCHEMA = make_schema()


# Opening, writing, searching ---------------------------------------------------------

@dataclass
class _Lease:
    searcher: Searcher
    users: int = 0
    retired: bool = False


@dataclass
class SearchIndex:
    """The index of one application in this process: opened lazily, with
    one searcher shared by requests and refreshed when the index changes."""

    folder: str
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _index: Any = None
    _lease: _Lease | None = None

    def storage(self) -> FileStorage:
        Path(self.folder).mkdir(parents=True, exist_ok=True)
        return FileStorage(self.folder)

    def index(self) -> Any:
        """The whoosh index, created (under the write lock) if missing."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._open_or_create()
        return self._index

    def _open_or_create(self) -> Any:
        storage = self.storage()
        if whoosh_index.exists(storage):
            return whoosh_index.FileIndex(storage, schema=SCHEMA)
        lock = storage.lock(WRITE_LOCK)
        if not _try_for(lock.acquire, timeout=5.0):
            raise LockError("the search index is being created by another process")
        try:
            if whoosh_index.exists(storage):  # another process was first
                return whoosh_index.FileIndex(storage, schema=SCHEMA)
            return whoosh_index.FileIndex.create(storage, SCHEMA)
        finally:
            lock.release()

    def writer(self, timeout: float) -> SegmentWriter:
        """The index's one writer; LockError if another holds it longer than
        ``timeout`` seconds."""
        return self.index().writer(timeout=timeout, delay=0.05)

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """A searcher of the latest committed index, shared by the requests of
        this process and replaced when another commit has happened; the old
        one is closed when the last request using it is done."""
        lease = self._acquire()
        try:
            yield lease.searcher
        finally:
            self._release(lease)

    def _acquire(self) -> _Lease:
        ix = self.index()
        with self._lock:
            lease = self._lease
            if lease is None:
                lease = self._lease = _Lease(ix.searcher())
            elif ix.latest_generation() != lease.searcher.reader().generation():
                # Not ``searcher.refresh()``: in whoosh-reloaded 2.7.5 it keeps
                # the segments a merge replaced, so deleted and replaced
                # documents come back (tests/unit/test_search_analysis.py).
                if lease.users == 0:
                    lease.searcher.close()
                else:
                    lease.retired = True
                lease = self._lease = _Lease(ix.searcher())
            lease.users += 1
            return lease

    def _release(self, lease: _Lease) -> None:
        with self._lock:
            lease.users -= 1
            if lease.retired and lease.users == 0:
                lease.searcher.close()

    def reset(self) -> None:
        """Forget the open searcher (after an error reading the files)."""
        with self._lock:
            if self._lease is not None:
                if self._lease.users == 0:
                    self._lease.searcher.close()
                else:
                    self._lease.retired = True
            self._lease = None
            self._index = None


def _try_for(acquire: Any, timeout: float, delay: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not acquire():
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
    return True


_apps_lock = threading.Lock()


def get_index(app: Flask | None = None) -> SearchIndex:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions.get("venture.search")
    if state is None:
        with _apps_lock:
            state = app.extensions.get("venture.search")
            if state is None:
                state = app.extensions["venture.search"] = SearchIndex(app.config["SEARCH_INDEX_FOLDER"])
    return state


def to_naive_utc(moment: Any) -> Any:
    """whoosh's DATETIME wants naive UTC."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        from datetime import UTC

        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


# Parsing what a visitor typed ---------------------------------------------------------

class _SplitWords(Plugin):
    """A typed "word" that holds several tokens (Chinese has no spaces:
    社区花园项目) becomes an AND of its tokens, each searched in every text
    field, so the words may be spread over the title and the body."""

    def filters(self, parser: Any) -> list[tuple[Any, int]]:
        return [(self.split, 105)]  # after groups, before the multifield copy (110)

    def split(self, parser: Any, group: Any) -> Any:
        for index, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[index] = self.split(parser, node)
            elif type(node) is syntax.WordNode and node.fieldname is None:
                pieces = [node.text[start:end] for start, end in analysis.spans(analysis.fold(node.text))]
                if len(pieces) > 1:
                    words = []
                    for piece in pieces:
                        word = syntax.WordNode(piece)
                        word.startchar, word.endchar = getattr(node, "startchar", None), getattr(node, "endchar", None)
                        words.append(word)
                    group[index] = syntax.AndGroup(words)
        return group


def _parser() -> QueryParser:
    # No FieldsPlugin (so "owner:x" or "kind:proposal" are plain words), no
    # wildcards, ranges, boosts or "*:*": only words, "phrases", (groups) and
    # AND / OR / NOT over the public text fields.
    return QueryParser(None, SCHEMA, plugins=[
        PhrasePlugin(), GroupPlugin(), _SplitWords(), OperatorsPlugin(),
        MultifieldPlugin(list(TEXT_FIELDS), fieldboosts=FIELD_BOOSTS),
    ])


_PARSER = _parser()


def clean_query(text: str | None) -> str:
    """The visitor's text without control characters, on one line, at most
    MAX_QUERY_CHARS long."""
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in (text or "")[:MAX_QUERY_CHARS * 4])
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def parse(text: str) -> q.Query | None:
    """A query over the public text fields, or None when nothing searchable
    is left (only punctuation, a lone operator, ...)."""
    if not text:
        return None
    try:
        parsed = _PARSER.parse(text)
    except Exception:  # noqa: BLE001 - a query we cannot parse is searched as plain words
        words = " ".join(text[start:end] for start, end in analysis.spans(analysis.fold(text)))
        if not words:
            return None
        try:
            parsed = _PARSER.parse(words)
        except Exception:  # noqa: BLE001
            return None
    parsed = parsed.normalize()
    if parsed is q.NullQuery or isinstance(parsed, q.Every) or not positive_terms(parsed):
        return None
    return parsed


def positive_terms(query: q.Query) -> set[str]:
    """The words the visitor is looking for (not those after NOT): what to mark."""
    if isinstance(query, q.Not):
        return set()
    if isinstance(query, q.AndNot):
        return positive_terms(query.a)
    if isinstance(query, q.Term):
        return {query.text} if query.fieldname in TEXT_FIELDS else set()
    if isinstance(query, q.Phrase):
        return set(query.words) if query.fieldname in TEXT_FIELDS else set()
    found: set[str] = set()
    for child in query.children():
        found |= positive_terms(child)
    return found
