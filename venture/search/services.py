"""Keeping the search index in step with the database, and searching it.

The database is the truth; the index is derived and may lag.

* ``enqueue`` is called by the services that change what the public sees,
  in their own transaction: a row in ``search_queue``.
* After the request commits, ``venture.web`` calls ``after_commit``. It
  drains the queue into the index in a background daemon thread with its own
  application context, so nobody waits for it. When ``SEARCH_SYNC`` is true
  (the default under ``TESTING``) it drains in the request instead, so tests
  see the index up to date when the response arrives.
* Draining takes the index's one writer with a short timeout. If another
  thread or process holds it (``LockError``), the rows stay queued for the
  next drain: the holder drains again before it stops, the next writing
  request tries again, and ``flask --app venture search sync`` (run it from
  cron every minute, like ``calls tick``) is the safety net.
* ``document_for`` reads the public face of an object from the database;
  None means "not public": the document is deleted from the index.
* ``search`` re-checks every hit against the database before showing it, and
  builds titles and snippets from the database, not from the index: a lagging
  index never shows a hidden comment, a withdrawn or draft proposal, an old
  version's text or a group's name while review is blind.
"""
from __future__ import annotations

import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from flask import Flask, current_app, g, has_request_context, url_for
from markupsafe import Markup, escape
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from werkzeug.routing import BuildError
from whoosh import collectors
from whoosh import query as wq
from whoosh.writing import CLEAR

from venture.calls.models import CALL_KIND_LABELS, Call, CallKind, Phase
from venture.comments.models import Comment, CommentStatus
from venture.core.l10n import gettext as _
from venture.core.l10n import lazy_gettext as _l
from venture.groups.models import Group, GroupMembership
from venture.proposals.models import Proposal
from venture.search import analysis, pg
from venture.search.index import (
    LockError,
    clean_query,
    get_index,
    index_fields,
    match_fields,
    parse,
    positive_terms,
    to_naive_utc,
)
from venture.search.models import SearchQueue
from venture.proposals.face import redact_text
from venture.showcase.visibility import face_of, hidden_identity, identity_revealed, public_proposals, public_version

KINDS = frozenset({"call", "proposal", "comment"})
KIND_LABELS = {"call": _l("Call"), "proposal": _l("Proposal"), "comment": _l("Comment")}
BATCH = 200  # objects loaded per query
QUEUE_BATCH = 500  # queue rows per drain round
MAX_MATCHES = 1000  # hits considered per search (counts say "more than" beyond)
# Matching documents looked at per search, in index order (calls, proposals,
# then comments after a rebuild), of which the best MAX_MATCHES are kept: a
# word found in tens of thousands of comments costs no more than this.
SCAN_LIMIT = 2000
REBUILD_BATCH = 1000  # objects loaded per query by a rebuild
MAX_PAGE = 100
SNIPPET_CHARS = 160
# Filter in the form -> field in the index. As elsewhere on the site, "kind"
# is the kind of call (social venture, micro-livelihood); "type" is what a
# result is (call, proposal, comment).
FILTER_FIELDS = {"type": "kind", "call": "call_id", "kind": "call_kind", "theme": "theme", "district": "district"}


def enqueue(session: Session, kind: str, object_id: int) -> None:
    """Mark an object for re-indexing (its public face may have changed)."""
    if kind not in KINDS:
        raise ValueError(kind)
    session.add(SearchQueue(kind=kind, object_id=object_id))
    if has_request_context():
        g.search_queued = True


# The public face of an object ---------------------------------------------------------

_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|pre|table|tr|td|th|hr)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")


def html_text(html: str) -> str:
    """Plain text of our own sanitised HTML (block elements become line breaks)."""
    return unescape(_ANY_TAG.sub("", _BLOCK_TAG.sub("\n", html or "")))


def _join(*parts: Any) -> str:
    return "\n".join(str(part).strip() for part in parts if part and str(part).strip())


def _keywords(values: Iterable[str]) -> str:
    return ",".join(value.replace(",", " ") for value in values if value)


def _call_doc(call: Call) -> dict[str, Any] | None:
    if not call.is_public:
        return None
    return {
        "doc_key": f"call:{call.id}", "kind": "call", "object_id": call.id, "call_id": str(call.id),
        "call_kind": call.kind.value, "theme": _keywords(call.themes), "district": _keywords(call.districts),
        "title": call.title,
        "body": _join(call.summary, html_text(call.text_html), " ".join(call.themes), " ".join(call.districts),
                      call.body.name),
        "group": "", "created": to_naive_utc(call.published_at or call.created_at),
    }


def _proposal_doc(proposal: Proposal) -> dict[str, Any] | None:
    version = public_version(proposal)
    if version is None:
        return None
    # The public face, not the version's own text: while review is blind the
    # group's names, members and contact are not in the index at all.
    content = face_of(proposal, cached=False) or {}
    call = proposal.call
    return {
        "doc_key": f"proposal:{proposal.id}", "kind": "proposal", "object_id": proposal.id,
        "call_id": str(call.id), "call_kind": call.kind.value,
        "theme": _keywords([content.get("theme") or ""]), "district": _keywords([content.get("district") or ""]),
        "title": content.get("title") or "",
        "body": _join(content.get("summary"), *(s.get("text") for s in content.get("sections", [])),
                      *(line.get("item") for line in content.get("budget", [])),
                      content.get("district"), content.get("theme")),
        # While review is blind the group is not named anywhere public: not even here.
        "group": proposal.group.name if identity_revealed(call) else "",
        "created": to_naive_utc(version.submitted_at),
    }


def _proposal_face(proposal: Proposal) -> dict[str, Any] | None:
    """What a comment's document takes from its proposal; None when the
    proposal is not public (nor, then, its comments). ``hide`` is what the
    comments' text is redacted of, as the proposal's face is."""
    version = public_version(proposal)
    if version is None:
        return None
    content = version.content
    return {"call_id": str(proposal.call_id), "call_kind": proposal.call.kind.value,
            "theme": _keywords([content.get("theme") or ""]), "district": _keywords([content.get("district") or ""]),
            "hide": hidden_identity(proposal, cached=False)}


def _comment_face_doc(comment_id: int, status: CommentStatus, body_html: str, created_at: Any,
                      face: dict[str, Any] | None) -> dict[str, Any] | None:
    if status is not CommentStatus.VISIBLE or face is None:
        return None
    fields = {key: value for key, value in face.items() if key != "hide"}
    identity, blind = face["hide"]
    # Authors are never indexed (an applicant team's comment must stay
    # anonymous while review is blind; residents' names add nothing); the
    # text is redacted like the proposal's face.
    return {
        "doc_key": f"comment:{comment_id}", "kind": "comment", "object_id": comment_id, **fields,
        "title": "", "body": redact_text(html_text(body_html), identity, blind=blind), "group": "",
        "created": to_naive_utc(created_at),
    }


def _comment_doc(comment: Comment) -> dict[str, Any] | None:
    if comment.status is not CommentStatus.VISIBLE:
        return None
    return _comment_face_doc(comment.id, comment.status, comment.body_html, comment.created_at,
                             _proposal_face(comment.proposal))


_BUILDERS: dict[str, Callable[[Any], dict[str, Any] | None]] = {
    "call": _call_doc, "proposal": _proposal_doc, "comment": _comment_doc}


def _load(session: Session, kind: str, ids: Iterable[int], batch: int = BATCH) -> dict[int, Any]:
    """The objects of one kind, with what their documents need, by id."""
    found: dict[int, Any] = {}
    for chunk in _chunks(sorted(set(ids)), batch):
        stmt: Select[Any]
        if kind == "call":
            stmt = select(Call).where(Call.id.in_(chunk)).options(joinedload(Call.body))
        elif kind == "proposal":
            stmt = (select(Proposal).where(Proposal.id.in_(chunk))
                    .options(selectinload(Proposal.versions), joinedload(Proposal.call),
                             joinedload(Proposal.group).selectinload(Group.memberships)
                             .selectinload(GroupMembership.user)))
        else:
            stmt = (select(Comment).where(Comment.id.in_(chunk))
                    .options(joinedload(Comment.proposal).joinedload(Proposal.call),
                             joinedload(Comment.proposal).selectinload(Proposal.versions),
                             joinedload(Comment.proposal).joinedload(Proposal.group).selectinload(Group.memberships)
                             .selectinload(GroupMembership.user)))
        found.update((obj.id, obj) for obj in session.scalars(stmt).unique())
    return found


def documents_for(session: Session, kind: str, ids: Iterable[int]) -> dict[int, dict[str, Any] | None]:
    """The public document of each object, or None for those not public (or gone)."""
    ids = list(ids)
    objects = _load(session, kind, ids)
    build = _BUILDERS[kind]
    documents: dict[int, dict[str, Any] | None] = {}
    for object_id in ids:
        try:
            documents[object_id] = build(objects[object_id]) if object_id in objects else None
        except Exception:  # noqa: BLE001 - one odd object must not block the queue: it is left out
            current_app.logger.exception("search: cannot index %s %s; it is left out of the index", kind, object_id)
            documents[object_id] = None
    return documents


def document_for(session: Session, kind: str, object_id: int) -> dict[str, Any] | None:
    """What the index may hold about an object, read from the database; None
    when the object is not public (its document is then deleted)."""
    if kind not in KINDS:
        raise ValueError(kind)
    return documents_for(session, kind, [object_id])[object_id]


def visible_ids(session: Session, kind: str, ids: Iterable[int]) -> set[int]:
    """Which of these objects the public may see now (one query per kind)."""
    found: set[int] = set()
    for chunk in _chunks(sorted(set(ids)), MAX_MATCHES):
        if kind == "call":
            stmt: Select[Any] = select(Call.id).where(Call.id.in_(chunk), Call.phase != Phase.DRAFT)
        elif kind == "proposal":
            stmt = public_proposals().where(Proposal.id.in_(chunk)).with_only_columns(Proposal.id)
        else:
            stmt = (public_proposals().join(Comment, Comment.proposal_id == Proposal.id)
                    .where(Comment.status == CommentStatus.VISIBLE, Comment.id.in_(chunk))
                    .with_only_columns(Comment.id))
        found.update(session.scalars(stmt))
    return found


def public_keys(session: Session) -> list[tuple[str, int]]:
    """Every public object, as (kind, id)."""
    calls = session.scalars(select(Call.id).where(Call.phase != Phase.DRAFT).order_by(Call.id))
    proposals = session.scalars(public_proposals().with_only_columns(Proposal.id).order_by(Proposal.id))
    comments = session.scalars(public_proposals().join(Comment, Comment.proposal_id == Proposal.id)
                               .where(Comment.status == CommentStatus.VISIBLE)
                               .with_only_columns(Comment.id).order_by(Comment.id))
    return ([("call", i) for i in calls] + [("proposal", i) for i in proposals]
            + [("comment", i) for i in comments])


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Draining the queue -------------------------------------------------------------------

@dataclass
class Drained:
    rows: int = 0       # queue rows processed
    indexed: int = 0    # documents written
    deleted: int = 0    # documents removed (no longer public)
    locked: bool = False  # another worker held the writer: rows left queued


def _affected(session: Session, keys: Iterable[tuple[str, int]]) -> dict[str, set[int]]:
    """A call's change touches its proposals and their comments (whether the
    group is named follows the call's phase); a proposal's, its comments."""
    wanted: dict[str, set[int]] = {kind: set() for kind in KINDS}
    for kind, object_id in keys:
        wanted[kind].add(object_id)
    for chunk in _chunks(sorted(wanted["call"]), BATCH):
        wanted["proposal"].update(session.scalars(select(Proposal.id).where(Proposal.call_id.in_(chunk))))
    for chunk in _chunks(sorted(wanted["proposal"]), BATCH):
        wanted["comment"].update(session.scalars(select(Comment.id).where(Comment.proposal_id.in_(chunk))))
    return wanted


def process_queue(target: Flask | Session, limit: int = QUEUE_BATCH, timeout: float | None = None) -> Drained:
    """Index (or delete) what up to ``limit`` queued rows name, then remove
    those rows. Takes the index writer within ``timeout`` seconds or leaves
    the rows queued (``locked``). ``target`` is the application (an app
    context is opened) or a session inside one."""
    if isinstance(target, Flask):
        from venture.extensions import db

        with target.app_context():
            return process_queue(db.session, limit, timeout)
    session = target
    if pg.configured(current_app.config):
        return _process_queue_pg(session, limit)
    if timeout is None:
        timeout = float(current_app.config.get("SEARCH_LOCK_TIMEOUT", 1.0))
    if get_index().upgrade_pending():
        queue_everything(session)
    if session.scalar(select(SearchQueue.id).limit(1)) is None:
        session.rollback()
        return Drained()
    session.rollback()  # hold no database lock while waiting for the index's
    try:
        writer = get_index().writer(timeout)
    except LockError:
        return Drained(locked=True)
    try:
        rows = session.execute(select(SearchQueue.id, SearchQueue.kind, SearchQueue.object_id)
                               .order_by(SearchQueue.id).limit(limit)).all()
        wanted = _affected(session, {(row.kind, row.object_id) for row in rows if row.kind in KINDS})
        documents = {kind: documents_for(session, kind, ids) for kind, ids in wanted.items() if ids}
        gone_calls = [i for i, doc in documents.get("call", {}).items() if doc is None]
        session.rollback()  # only plain values are kept; release the snapshot
        result = Drained(rows=len(rows))
        # Under a call that is gone or not public nothing is public: this also
        # clears what a deleted call's cascade took with it.
        for call_id in gone_calls:
            writer.delete_by_term("call_id", str(call_id))
        for kind, docs in documents.items():
            for object_id, doc in docs.items():
                if doc is None:
                    writer.delete_by_term("doc_key", f"{kind}:{object_id}")
                    result.deleted += 1
                else:
                    writer.update_document(**index_fields(doc))
                    result.indexed += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    session.execute(delete(SearchQueue).where(SearchQueue.id.in_([row.id for row in rows])))
    session.commit()
    return result


def _process_queue_pg(session: Session, limit: int) -> Drained:
    """``process_queue`` on PostgreSQL: the documents are written, and the
    queue rows removed, in one transaction under the writer's advisory lock."""
    if session.scalar(select(SearchQueue.id).limit(1)) is None:
        session.rollback()
        return Drained()
    if not pg.try_lock(session):
        session.rollback()
        return Drained(locked=True)
    try:
        rows = session.execute(select(SearchQueue.id, SearchQueue.kind, SearchQueue.object_id)
                               .order_by(SearchQueue.id).limit(limit)).all()
        wanted = _affected(session, {(row.kind, row.object_id) for row in rows if row.kind in KINDS})
        documents = {kind: documents_for(session, kind, ids) for kind, ids in wanted.items() if ids}
        result = Drained(rows=len(rows))
        pg.remove(session, call_ids=[str(i) for i, doc in documents.get("call", {}).items() if doc is None])
        gone = [f"{kind}:{object_id}" for kind, docs in documents.items() for object_id, doc in docs.items()
                if doc is None]
        pg.remove(session, doc_keys=gone)
        result.deleted = len(gone)
        result.indexed = pg.write(session, [doc for docs in documents.values() for doc in docs.values()
                                            if doc is not None])
        session.execute(delete(SearchQueue).where(SearchQueue.id.in_([row.id for row in rows])))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def queue_everything(session: Session) -> None:
    """Queue every call (a call's row covers its proposals and their
    comments): after the index was created anew over one written by older
    code (``SearchIndex.upgrade_pending``)."""
    for call_id in session.scalars(select(Call.id).order_by(Call.id)):
        enqueue(session, "call", call_id)
    session.commit()
    get_index().upgrade_done()


def drain(app: Flask, timeout: float | None = None, max_rounds: int = 50) -> Drained:
    """Process the queue until it is empty or another worker has the writer.
    The queue is looked at again after each round, once the writer is
    released, so a row whose own drain found the lock taken is not stranded."""
    total = Drained()
    for _round in range(max_rounds):
        result = process_queue(app, timeout=timeout)
        total.rows += result.rows
        total.indexed += result.indexed
        total.deleted += result.deleted
        if result.locked:
            total.locked = True
            break
        if result.rows == 0:
            break
    return total


class _Drainer:
    """One background drainer per application and process: a wake-up while
    it runs makes it go round once more instead of starting another thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.running = False
        self.again = False

    def wake(self) -> None:
        with self.lock:
            if self.running:
                self.again = True
                return
            self.running = True
        threading.Thread(target=self._run, name="search-drain", daemon=True).start()

    def _run(self) -> None:
        while True:
            _drain_quietly(self.app)
            with self.lock:
                if not self.again:
                    self.running = False
                    return
                self.again = False


def _drain_quietly(app: Flask) -> None:
    try:
        drain(app)
    except Exception:  # noqa: BLE001 - the index is derived: log, keep the rows, never fail the caller
        app.logger.exception("search: the index could not be updated; the queue is kept for the next drain")


_drainers_lock = threading.Lock()


def after_commit(app: Flask) -> None:
    """Drain the queue into the index without holding up the request (in the
    request itself when SEARCH_SYNC, the default under TESTING). Never raises."""
    try:
        if app.config.get("SEARCH_SYNC", app.testing):
            _drain_quietly(app)
            return
        with _drainers_lock:
            drainer = app.extensions.get("venture.search.drainer")
            if drainer is None:
                drainer = app.extensions["venture.search.drainer"] = _Drainer(app)
        drainer.wake()
    except Exception:  # noqa: BLE001
        app.logger.exception("search: could not start draining the queue")


def drain_if_waiting(app: Flask, session: Session) -> None:
    """Rows left queued (the writer was busy, a worker died) are picked up
    by the next search: it wakes the drainer (so does an index created
    anew over an older one: everything is indexed again)."""
    upgrade = not pg.configured(app.config) and get_index().upgrade_pending()
    if upgrade or session.scalar(select(SearchQueue.id).limit(1)) is not None:
        after_commit(app)


def rebuild(session: Session,
            progress: Callable[[list[tuple[str, int]]], AbstractContextManager[Iterable[tuple[str, int]]]] | None = None,
            timeout: float = 30.0, procs: int | None = None) -> int:
    """Replace the whole index with the public objects of the database, and
    empty the queue of what it covers. Readers see the old index until the
    new one is committed. Returns the number of documents.

    The documents are the same as ``document_for`` gives (a comment's part
    of its proposal is worked out once per proposal); with ``procs`` > 1
    (SEARCH_REBUILD_PROCS, default: up to 2 cores, for large databases) the
    text is analysed and indexed by that many processes, each writing a
    segment of its own."""
    if pg.configured(current_app.config):
        return _rebuild_pg(session, progress)
    # Rows queued from now on are kept: they may describe changes made after
    # the objects below were read.
    upto = session.scalar(select(func.max(SearchQueue.id))) or 0
    keys = public_keys(session)
    session.rollback()
    if procs is None:
        procs = int(current_app.config.get("SEARCH_REBUILD_PROCS") or min(2, os.cpu_count() or 1))
    if len(keys) < PARALLEL_FROM:
        procs = 1  # not worth starting processes for
    analysis.jieba_tokenizer()  # loaded once, before the writer's processes are forked
    search_index = get_index()
    writer = search_index.bulk_writer(timeout, procs=procs, limitmb=REBUILD_LIMIT_MB, batchsize=REBUILD_JOB_DOCS)
    count = 0
    faces: dict[int, dict[str, str] | None] = {}
    try:
        with (progress(keys) if progress else nullcontext(keys)) as items:
            for chunk in _chunks(items, REBUILD_BATCH):
                by_kind: dict[str, list[int]] = {}
                for kind, object_id in chunk:
                    by_kind.setdefault(kind, []).append(object_id)
                for kind, ids in by_kind.items():
                    for doc in _rebuild_documents(session, kind, ids, faces):
                        writer.add_document(**index_fields(doc))
                        count += 1
                session.rollback()  # let other writers in between chunks
        writer.commit(mergetype=CLEAR)
    except BaseException:
        writer.cancel()
        raise
    session.execute(delete(SearchQueue).where(SearchQueue.id <= upto))
    session.commit()
    search_index.upgrade_done()
    search_index.drop_older_indexes()
    return count


def _rebuild_pg(session: Session,
                progress: Callable[[list[tuple[str, int]]], AbstractContextManager[Iterable[tuple[str, int]]]] | None
                ) -> int:
    """``rebuild`` on PostgreSQL: one transaction under the writer's lock
    (readers see the old documents until it commits)."""
    pg.lock(session)
    upto = session.scalar(select(func.max(SearchQueue.id))) or 0
    keys = public_keys(session)
    pg.clear(session)
    count = 0
    faces: dict[int, dict[str, str] | None] = {}
    try:
        with (progress(keys) if progress else nullcontext(keys)) as items:
            for chunk in _chunks(items, REBUILD_BATCH):
                by_kind: dict[str, list[int]] = {}
                for kind, object_id in chunk:
                    by_kind.setdefault(kind, []).append(object_id)
                for kind, ids in by_kind.items():
                    count += pg.write(session, _rebuild_documents(session, kind, ids, faces))
                session.expunge_all()
        session.execute(delete(SearchQueue).where(SearchQueue.id <= upto))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return count


PARALLEL_FROM = 5000  # documents; fewer are indexed by one process
REBUILD_LIMIT_MB = 512  # memory per indexing process for sorting postings
REBUILD_JOB_DOCS = 256  # documents handed to an indexing process at a time


def _rebuild_documents(session: Session, kind: str, ids: list[int],
                       faces: dict[int, dict[str, str] | None]) -> list[dict[str, Any]]:
    """The public documents of these objects, as ``documents_for`` gives
    them, loaded leanly: proposals note their face for their comments, and
    comments are read as plain rows."""
    if kind == "proposal":
        objects = _load(session, kind, ids, batch=REBUILD_BATCH)
        found = []
        for object_id in ids:
            proposal = objects.get(object_id)
            try:
                doc = _proposal_doc(proposal) if proposal is not None else None
                faces[object_id] = _proposal_face(proposal) if proposal is not None else None
            except Exception:  # noqa: BLE001 - as documents_for: left out, logged
                current_app.logger.exception("search: cannot index proposal %s; it is left out of the index", object_id)
                doc = faces[object_id] = None
            if doc is not None:
                found.append(doc)
        return found
    if kind != "comment":
        return [doc for doc in documents_for(session, kind, ids).values() if doc is not None]
    rows = session.execute(select(Comment.id, Comment.proposal_id, Comment.status, Comment.body_html,
                                  Comment.created_at).where(Comment.id.in_(ids))).all()
    strangers = [row.id for row in rows if row.proposal_id not in faces]
    found = [doc for doc in documents_for(session, kind, strangers).values() if doc is not None] if strangers else []
    for row in rows:
        if row.proposal_id in faces:
            doc = _comment_face_doc(row.id, row.status, row.body_html, row.created_at, faces[row.proposal_id])
            if doc is not None:
                found.append(doc)
    return found


# Searching ----------------------------------------------------------------------------

@dataclass
class Match:
    kind: str
    object_id: int
    call_id: str
    call_kind: str
    themes: tuple[str, ...]
    districts: tuple[str, ...]

    def values(self, name: str) -> tuple[str, ...]:
        return {"type": (self.kind,), "call": (self.call_id,), "kind": (self.call_kind,),
                "theme": self.themes, "district": self.districts}[name]


@dataclass
class Hit:
    kind: str
    kind_label: Any
    object_id: int
    url: str
    title: Markup
    snippet: Markup
    context: str = ""        # the call (and proposal) it belongs to
    group: str = ""          # only once the call names its groups
    created: Any = None


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Results:
    query: str = ""
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    more: bool = False       # more than MAX_MATCHES matched; only the best are counted
    page: int = 1
    per_page: int = 10
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    message: Any = None
    searched: bool = False
    elapsed_ms: float = 0.0

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


class _BoundedCollector(collectors.TopCollector):
    """whoosh's top-N collector that stops after ``scan`` matching documents
    (shared between the segments by their size), in index order. Every
    document it looks at is scored; none is skipped for its score, so
    ``looked_at`` and ``cut`` tell exactly whether more matched."""

    def __init__(self, limit: int, scan: int) -> None:
        super().__init__(limit=limit, usequality=False)
        self.replace = 0  # never drop a part of the query for its score: counts stay exact
        self.scan = scan
        self.looked_at = 0
        self.cut = False
        self._budget = scan

    def set_subsearcher(self, subsearcher: Any, offset: int) -> None:
        super().set_subsearcher(subsearcher, offset)
        everything = self.top_searcher.doc_count_all() or 1
        self._budget = max(1, math.ceil(self.scan * subsearcher.doc_count_all() / everything))

    def collect_matches(self) -> None:
        budget = self._budget
        collect = self.collect
        for sub_docnum in self.matches():
            if budget == 0:
                self.cut = True
                break
            collect(sub_docnum)
            budget -= 1
        self.looked_at += self._budget - budget


def _restriction(filters: dict[str, str]) -> wq.Query | None:
    if not filters:
        return None
    terms = [wq.Term(FILTER_FIELDS[name], value) for name, value in sorted(filters.items())]
    return terms[0] if len(terms) == 1 else wq.And(terms)


def _matches(searcher: Any, query: wq.Query | None, filters: dict[str, str]) -> tuple[list[Match], bool]:
    """The best MAX_MATCHES matches of the words (among the first SCAN_LIMIT
    found), or the newest MAX_MATCHES documents passing the filters when
    ``query`` is None; and whether more matched."""
    restrict = _restriction(filters)
    if query is None:
        results = searcher.search(restrict or wq.Every(), limit=MAX_MATCHES, sortedby="created", reverse=True)
        more = results.scored_length() >= MAX_MATCHES and len(results) > MAX_MATCHES
    else:
        if restrict is not None:  # the filters only choose, they add nothing to the score
            query = wq.And([query, wq.ConstantScoreQuery(restrict, 0.0)])
        collector = _BoundedCollector(MAX_MATCHES, max(SCAN_LIMIT, MAX_MATCHES))
        searcher.search_with_collector(query, collector)
        results = collector.results()
        more = collector.cut or collector.looked_at > MAX_MATCHES
    docnums = [results.docnum(rank) for rank in range(results.scored_length())]
    # One short column value each, read in file order (neighbours share a read).
    fields = {docnum: match_fields(searcher, docnum) for docnum in sorted(docnums)}
    found = []
    for docnum in docnums:
        values = fields[docnum]
        found.append(Match(
            kind=values.get("kind") or "", object_id=int(values.get("object_id") or 0),
            call_id=values.get("call_id") or "", call_kind=values.get("call_kind") or "",
            themes=tuple(v.strip() for v in (values.get("theme") or "").split(",") if v.strip()),
            districts=tuple(v.strip() for v in (values.get("district") or "").split(",") if v.strip())))
    return found, more


def _passes(match: Match, filters: dict[str, str], skip: str | None = None) -> bool:
    return all(value in match.values(name) for name, value in filters.items() if name != skip)


def _url(endpoint: str, anchor: str | None = None, **values: Any) -> str:
    try:
        return url_for(endpoint, _anchor=anchor, **values)
    except BuildError:  # the page is not there (yet): a plain path that will be
        path = {"calls.show": "/calls/{call_id}", "showcase.proposal": "/proposals/{proposal_id}"}[endpoint]
        return path.format(**values) + (f"#{anchor}" if anchor else "")


def _present(session: Session, matches: list[Match], wanted: set[str]) -> list[Hit]:
    """The page's hits, titled and highlighted from the database's truth."""
    loaded = {kind: _load(session, kind, [m.object_id for m in matches if m.kind == kind]) for kind in KINDS}
    hits = []
    for match in matches:
        obj = loaded[match.kind].get(match.object_id)
        doc = _BUILDERS[match.kind](obj) if obj is not None else None
        if doc is None:  # changed since the visibility check
            continue
        hit = Hit(kind=match.kind, kind_label=KIND_LABELS[match.kind], object_id=match.object_id, url="",
                  title=analysis.highlight(doc["title"], wanted),
                  snippet=analysis.highlight(doc["body"], wanted, SNIPPET_CHARS), created=doc["created"])
        if match.kind == "call":
            hit.url = _url("calls.show", call_id=obj.id)
            hit.context = obj.body.name
        elif match.kind == "proposal":
            hit.url = _url("showcase.proposal", proposal_id=obj.id)
            hit.context = obj.call.title
            hit.group = doc["group"]
        else:
            proposal = obj.proposal
            hit.url = _url("showcase.proposal", anchor=f"comment-{obj.id}", proposal_id=proposal.id,
                           comment=obj.id)
            hit.title = escape(_("Comment on “%(title)s”", title=(face_of(proposal) or {}).get("title") or ""))
            hit.context = proposal.call.title
        hits.append(hit)
    return hits


def _facets(session: Session, matches: list[Match], filters: dict[str, str]) -> dict[str, list[FacetValue]]:
    """Counts by type of result, call, kind of call, theme and district among
    the visible matches; each with the other filters applied, so the other
    choices stay in view."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FILTER_FIELDS}
    for match in matches:
        for name in FILTER_FIELDS:
            if _passes(match, filters, skip=name):
                counts[name].update(set(match.values(name)))
    call_ids = [int(v) for v in counts["call"] if v.isdigit()]
    titles = dict(session.execute(select(Call.id, Call.title).where(Call.id.in_(call_ids),
                                                                    Call.phase != Phase.DRAFT)).all()) if call_ids else {}
    labels: dict[str, Callable[[str], str | None]] = {
        "type": lambda v: str(KIND_LABELS[v]) if v in KIND_LABELS else None,
        "call": lambda v: titles.get(int(v)) if v.isdigit() else None,
        "kind": lambda v: str(CALL_KIND_LABELS[CallKind(v)]) if v in CallKind._value2member_map_ else None,
        "theme": lambda v: v, "district": lambda v: v,
    }
    facets = {}
    for name, counter in counts.items():
        values = []
        for value, count in sorted(counter.items(), key=lambda item: (-item[1], item[0])):
            label = labels[name](value)
            if label:
                values.append(FacetValue(value, label, count, filters.get(name) == value))
        facets[name] = values
    return facets


@dataclass
class FilterChoices:
    calls: list[tuple[str, str]]
    themes: list[str]
    districts: list[str]


def filter_choices(session: Session) -> FilterChoices:
    """The values a filter may take: those of the public calls."""
    rows = session.execute(select(Call.id, Call.title, Call.themes, Call.districts)
                           .where(Call.phase != Phase.DRAFT).order_by(Call.closes_at.desc(), Call.id)).all()
    return FilterChoices(calls=[(str(row.id), row.title) for row in rows],
                         themes=sorted({t for row in rows for t in row.themes or []}),
                         districts=sorted({d for row in rows for d in row.districts or []}))


def _outside_calls(session: Session, kind: str, ids: set[int], call_ids: Collection[int]) -> set[int]:
    """Which of these proposals or comments do not belong to these calls
    (read from the database, not from the index's copy of the call id)."""
    kept: set[int] = set()
    for chunk in _chunks(sorted(ids), MAX_MATCHES):
        stmt: Select[Any]
        if kind == "proposal":
            stmt = select(Proposal.id).where(Proposal.id.in_(chunk), Proposal.call_id.not_in(sorted(call_ids)))
        else:
            stmt = (select(Comment.id).join(Proposal, Comment.proposal_id == Proposal.id)
                    .where(Comment.id.in_(chunk), Proposal.call_id.not_in(sorted(call_ids))))
        kept.update(session.scalars(stmt))
    return kept


def search(query_text: str | None, filters: dict[str, str] | None = None, page: int = 1,
           per_page: int = 10, session: Session | None = None, hidden_calls: Collection[int] = ()) -> Results:
    """Search public calls, proposals and comments. ``filters`` (type, call,
    kind, theme, district: see FILTER_FIELDS) must already be validated. With
    filters and no words, lists the newest matching items. Proposals and
    comments of ``hidden_calls`` (the calls a panel member is judging, see
    ``visibility.panel_call_ids``) are left out."""
    from venture.extensions import db

    started = time.perf_counter()
    session = session or db.session
    filters = {name: value for name, value in (filters or {}).items() if value and name in FILTER_FIELDS}
    text = clean_query(query_text)
    results = Results(query=text, per_page=per_page, page=max(1, min(page or 1, MAX_PAGE)))
    parsed = parse(text)
    if parsed is None:
        if text:
            results.message = _l("Nothing to search for in what you typed. Type one or more words, "
                                 "for example 养老 or “社区花园”.")
            return results
        if not filters:
            return results
    if pg.configured(current_app.config):
        everything, more = _matches_pg(session, parsed, {})
        chosen, more = _matches_pg(session, parsed, filters) if filters else (everything, more)
    else:
        everything, more, chosen = _search_whoosh(parsed, filters)
    return _finish(session, results, parsed, filters, everything, chosen, more, hidden_calls, started)


def _matches_pg(session: Session, parsed: wq.Query | None, filters: dict[str, str]) -> tuple[list[Match], bool]:
    rows, more = pg.matching(session, parsed, filters, MAX_MATCHES)
    return [Match(kind=row.kind, object_id=row.object_id, call_id=row.call_id, call_kind=row.call_kind,
                  themes=tuple(v for v in row.theme.split(",") if v),
                  districts=tuple(v for v in row.district.split(",") if v)) for row in rows], more


def _search_whoosh(parsed: wq.Query | None, filters: dict[str, str]) -> tuple[list[Match], bool, list[Match]]:
    search_index = get_index()
    for attempt in (1, 2):
        try:
            with search_index.searcher() as searcher:
                everything, more = _matches(searcher, parsed, {})
                chosen, more = _matches(searcher, parsed, filters) if filters else (everything, more)
            break
        except LockError:
            raise
        except Exception:
            if attempt == 2:
                raise
            search_index.reset()  # files changed under an old searcher: open again
    return everything, more, chosen


def _finish(session: Session, results: Results, parsed: wq.Query | None, filters: dict[str, str],
            everything: list[Match], chosen: list[Match], more: bool, hidden_calls: Collection[int],
            started: float) -> Results:
    # Defence in depth: the index may lag behind the database.
    allowed: set[tuple[str, int]] = set()
    for kind in KINDS:
        ids = {m.object_id for m in everything + chosen if m.kind == kind}
        if ids:
            allowed.update((kind, object_id) for object_id in visible_ids(session, kind, ids))
    if hidden_calls:
        for kind in ("proposal", "comment"):
            ids = {object_id for found_kind, object_id in allowed if found_kind == kind}
            if ids:
                allowed -= {(kind, object_id) for object_id in ids - _outside_calls(session, kind, ids, hidden_calls)}
    everything = [m for m in everything if (m.kind, m.object_id) in allowed]
    chosen = [m for m in chosen if (m.kind, m.object_id) in allowed]
    results.searched = True
    results.total, results.more = len(chosen), more
    results.page = min(results.page, results.pages)
    start = (results.page - 1) * results.per_page
    results.hits = _present(session, chosen[start:start + results.per_page],
                            positive_terms(parsed) if parsed is not None else set())
    results.facets = _facets(session, everything, filters)
    results.elapsed_ms = (time.perf_counter() - started) * 1000
    return results
