"""The Whoosh index: its schema, opening it, the writer lock, one long-lived
searcher per process, and turning what a visitor typed into a safe query.

Only public text is ever written here (see ``services.document_for``); there
is no field for anything else. The index lives in ``SEARCH_INDEX_FOLDER`` and
is created the first time anyone needs it.
"""
from __future__ import annotations

import os
import threading
import time
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from whoosh import index as whoosh_index
from whoosh import query as q
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
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
# Bump when the schema or the analysis changes: the index is kept under a
# name with this number, so a process with new code never reads an index
# written for older code; it creates a new one and, when an older one is
# in the folder, asks for everything to be indexed again (UPGRADE_MARKER,
# picked up by the next drain: ``services.process_queue``).
SCHEMA_VERSION = 3  # 3: documents hold the public face (redacted while review is blind)
INDEX_NAME = f"venture{SCHEMA_VERSION}"
WRITE_LOCK = f"{INDEX_NAME}_WRITELOCK"  # the name whoosh's own writer locks under
UPGRADE_MARKER = f"{INDEX_NAME}.upgrade"


def make_schema() -> Schema:
    """Lean: the text is indexed, not stored (titles and snippets are built
    from the database); what a hit needs for the database check and the
    facet counts is one short column value (``meta``, read only for the
    matches); ``created`` is a column only (for newest first), no terms."""
    words = analysis.analyzer()
    return Schema(
        doc_key=ID(stored=True, unique=True),          # "proposal:12"
        kind=ID,                                       # call, proposal, comment
        object_id=STORED(),
        call_id=ID,
        call_kind=ID,
        theme=KEYWORD(commas=True),                    # a call may have several
        district=KEYWORD(commas=True),
        title=TEXT(analyzer=words, multitoken_query="and"),
        body=TEXT(analyzer=words, multitoken_query="and"),
        # Filled only once the call names its groups (public notice onwards).
        group=TEXT(analyzer=words, multitoken_query="and"),
        created=COLUMN(NumericColumn("q", default=0)),  # microseconds since 1970 (UTC)
        meta=COLUMN(VarBytesColumn()),                  # META_FIELDS joined by META_SEP
    )


SCHEMA = make_schema()
_EPOCH = datetime(1970, 1, 1)


META_FIELDS = ("kind", "object_id", "call_id", "call_kind", "theme", "district")
META_SEP = "\x1f"


def index_fields(document: dict[str, Any]) -> dict[str, Any]:
    """A document (``services.document_for``) as the index takes it."""
    fields = dict(document)
    created = to_naive_utc(fields.pop("created", None))
    if created is not None:
        fields["created"] = (created - _EPOCH) // timedelta(microseconds=1)
    fields["meta"] = META_SEP.join(str(fields.get(name) or "").replace(META_SEP, " ")
                                   for name in META_FIELDS).encode()
    return fields


class _Meta:
    """Reads the ``meta`` column of a searcher's documents: one short value
    per match, with the column's offsets loaded once per searcher."""

    def __init__(self, searcher: Searcher) -> None:
        leaves = searcher.reader().leaf_readers()
        self.starts = [offset for _reader, offset in leaves]
        self.readers = [reader for reader, _offset in leaves]
        self.columns: list[Any] = [None] * len(leaves)

    def __call__(self, docnum: int) -> dict[str, str]:
        index = bisect_right(self.starts, docnum) - 1
        column = self.columns[index]
        if column is None:
            reader = self.readers[index]
            column = self.columns[index] = reader.column_reader("meta") if reader.has_column("meta") else {}
        raw = column[docnum - self.starts[index]] if column != {} else b""
        if raw:
            return dict(zip(META_FIELDS, raw.decode().split(META_SEP), strict=False))
        # Written without ``index_fields`` (by hand): what the stored key says.
        kind, _sep, object_id = self.readers[index].stored_fields(docnum - self.starts[index]).get(
            "doc_key", "").partition(":")
        return {"kind": kind, "object_id": object_id}


def _lengths_in_memory(searcher: Searcher) -> None:
    """Keep each segment's field lengths (a byte per document and text
    field, used to score every match) in memory rather than reading them
    from the file one match at a time. Leaves whoosh's own reader in place
    if its internals are not what this expects."""
    for reader, _offset in searcher.reader().leaf_readers():
        perdoc = getattr(reader, "_perdoc", None)
        cached = getattr(perdoc, "_cached_reader", None)
        if cached is None:
            continue
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN

        for name in TEXT_FIELDS:
            lengths = f"_{name}_len"
            column = cached(lengths, LENGTHS_COLUMN)
            if isinstance(column, NumericColumn.Reader) and column._fixedlen == 1:
                values = array("B", column._dbfile.get(column._basepos, column._count))
                values.extend(bytes(max(0, column._doccount - len(values))))
                perdoc._readers[lengths] = values


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
    # Read the files with read() rather than mapping them: mapped pages a
    # search has touched stay in the worker's resident memory.
    mmap: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _index: Any = None
    _lease: _Lease | None = None

    def storage(self) -> FileStorage:
        Path(self.folder).mkdir(parents=True, exist_ok=True)
        return FileStorage(self.folder, supports_mmap=self.mmap)

    def index(self) -> Any:
        """The whoosh index, created (under the write lock) if missing."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._open_or_create()
        return self._index

    def _open_or_create(self) -> Any:
        storage = self.storage()
        if whoosh_index.exists(storage, INDEX_NAME):
            return whoosh_index.FileIndex(storage, schema=SCHEMA, indexname=INDEX_NAME)
        lock = storage.lock(WRITE_LOCK)
        if not _try_for(lock.acquire, timeout=5.0):
            raise LockError("the search index is being created by another process")
        try:
            if whoosh_index.exists(storage, INDEX_NAME):  # another process was first
                return whoosh_index.FileIndex(storage, schema=SCHEMA, indexname=INDEX_NAME)
            created = whoosh_index.FileIndex.create(storage, SCHEMA, indexname=INDEX_NAME)
            if self.older_indexes():
                # Written by older code: left alone (a process still running
                # that code reads it), everything is indexed again.
                Path(self.folder, UPGRADE_MARKER).touch()
            return created
        finally:
            lock.release()

    def older_indexes(self) -> list[str]:
        """Names of indexes in the folder written by older code."""
        names = set()
        for name in os.listdir(self.folder):
            if name.startswith("_") and name.endswith(".toc"):
                names.add(name[1:].rsplit("_", 1)[0])
        return sorted(names - {INDEX_NAME})

    def drop_older_indexes(self) -> None:
        """Remove the files of indexes written by older code."""
        for old in self.older_indexes():
            for name in os.listdir(self.folder):
                if name.startswith((f"_{old}_", f"{old}_", f"{old}.")):
                    path = Path(self.folder, name)
                    if path.is_file():
                        path.unlink(missing_ok=True)

    def upgrade_pending(self) -> bool:
        """Whether the index was created anew over an older one and still
        needs everything indexed (cleared by ``upgrade_done``)."""
        self.index()
        return Path(self.folder, UPGRADE_MARKER).exists()

    def upgrade_done(self) -> None:
        Path(self.folder, UPGRADE_MARKER).unlink(missing_ok=True)

    def writer(self, timeout: float) -> SegmentWriter:
        """The index's one writer; LockError if another holds it longer than
        ``timeout`` seconds."""
        return self.index().writer(timeout=timeout, delay=0.05)

    def bulk_writer(self, timeout: float, procs: int = 1, limitmb: int = 256, batchsize: int = 256) -> SegmentWriter:
        """A writer for a whole rebuild: ``procs`` processes (each writes its
        own segment; they are handed ``batchsize`` documents at a time) with
        ``limitmb`` of memory each for sorting postings."""
        if procs <= 1:
            return self.index().writer(timeout=timeout, delay=0.05, limitmb=limitmb)
        return self.index().writer(timeout=timeout, delay=0.05, procs=procs, multisegment=True,
                                   limitmb=limitmb, batchsize=batchsize)

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
                lease = self._lease = _Lease(_prepared(ix.searcher()))
            elif ix.latest_generation() != lease.searcher.reader().generation():
                # Not ``searcher.refresh()``: in whoosh-reloaded 2.7.5 it keeps
                # the segments a merge replaced, so deleted and replaced
                # documents come back (tests/unit/test_search_analysis.py).
                if lease.users == 0:
                    lease.searcher.close()
                else:
                    lease.retired = True
                lease = self._lease = _Lease(_prepared(ix.searcher()))
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


def _prepared(searcher: Searcher) -> Searcher:
    _lengths_in_memory(searcher)
    searcher.venture_meta = _Meta(searcher)  # type: ignore[attr-defined]
    return searcher


def match_fields(searcher: Searcher, docnum: int) -> dict[str, str]:
    """kind, object_id, call_id, call_kind, theme and district of a match."""
    meta = getattr(searcher, "venture_meta", None)
    if meta is None:
        meta = searcher.venture_meta = _Meta(searcher)  # type: ignore[attr-defined]
    return meta(docnum)


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
                state = app.extensions["venture.search"] = SearchIndex(
                    app.config["SEARCH_INDEX_FOLDER"], mmap=bool(app.config.get("SEARCH_INDEX_MMAP", False)))
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
