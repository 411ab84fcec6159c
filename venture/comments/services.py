"""Every change to a comment: check, change, audit, flush.

Residents comment on public proposals and reply one level deep; authors
edit for a short while and delete; anyone verified reports; the organizers
of the call's body hide, restore and approve, close a proposal's comments
and keep a list of sensitive words. ``Proposal.comment_count`` is the number
of visible comments and is recounted after every change, under a lock on
the proposal's row so concurrent changes cannot lose a count.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, false, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from venture import permissions
from venture.accounts.models import User
from venture.audit import services as audit
from venture.bodies.models import OrganizingBody
from venture.calls.models import Call
from venture.comments.models import Comment, CommentReport, CommentStatus, SensitiveWord
from venture.core.errors import DomainError, NotAllowed
from venture.core.l10n import lazy_gettext as _l
from venture.core.ratelimit import TooManyAttempts, limiter
from venture.core.sanitize import render_markdown
from venture.core.text import prose
from venture.core.timeutil import utcnow
from venture.groups.models import GroupMembership
from venture.proposals.models import Proposal
from venture.search import services as search
from venture.showcase import visibility
from venture.showcase.services import decode_cursor, encode_cursor

MAX_BODY_CHARS = 5000
MAX_REASON_CHARS = 500
MAX_WORD_CHARS = 60
EDIT_WINDOW = timedelta(seconds=permissions.COMMENT_EDIT_WINDOW_SECONDS)
REPEAT_WINDOW = timedelta(days=7)
PRE_MODERATION = "pre"

# Why a comment is held, stored in ``Comment.held_reason``: "pre" (the call
# moderates before publishing) and/or "words:<the words found>".
_HELD_PRE = "pre"
_HELD_WORDS = "words:"


# Rules ---------------------------------------------------------------------------------

def plain(value: str | None) -> str:
    """User text without control characters (PostgreSQL refuses NUL; none belong in prose)."""
    return prose(value).strip()


def clean_body(text: str | None) -> str:
    """The comment's text as stored: trimmed, 1 to 5,000 characters."""
    body = plain(text)
    if not body:
        raise DomainError(_l("Write your comment first."), "body")
    if len(body) > MAX_BODY_CHARS:
        raise DomainError(_l("A comment has at most %(max)d characters; this one has %(n)d.",
                             max=MAX_BODY_CHARS, n=len(body)), "body")
    return body


def clean_reason(text: str | None, field: str = "reason") -> str:
    reason = plain(text)
    if not reason:
        raise DomainError(_l("Give a reason."), field)
    if len(reason) > MAX_REASON_CHARS:
        raise DomainError(_l("At most %(max)d characters.", max=MAX_REASON_CHARS), field)
    return reason


def sensitive_words_in(session: Session, body_id: int, text: str) -> list[str]:
    """The body's sensitive words found in the text (case-insensitive substrings)."""
    folded = text.casefold()
    words = session.scalars(select(SensitiveWord.word).where(SensitiveWord.body_id == body_id)
                            .order_by(SensitiveWord.word)).all()
    return [word for word in words if word.casefold() in folded]


def held_reason(session: Session, call: Call, text: str) -> str:
    """Why a new or edited comment must wait for a moderator ("" if it need not)."""
    reasons = []
    if call.comment_moderation == PRE_MODERATION:
        reasons.append(_HELD_PRE)
    found = sensitive_words_in(session, call.body_id, text)
    if found:
        reasons.append(_HELD_WORDS + ", ".join(found))
    return ";".join(reasons)[:200]


def held_reason_labels(comment: Comment) -> list[str]:
    """Why a comment is held, in words, for the moderators."""
    labels = []
    for part in filter(None, comment.held_reason.split(";")):
        if part == _HELD_PRE:
            labels.append(str(_l("This call's comments are checked by a moderator before they appear.")))
        elif part.startswith(_HELD_WORDS):
            labels.append(str(_l("Contains a sensitive word: %(words)s", words=part[len(_HELD_WORDS):])))
    return labels


def is_applicant(session: Session, user: User, proposal: Proposal) -> bool:
    """Is the user a member of the group that wrote the proposal (now)?"""
    return bool(session.scalar(select(exists().where(GroupMembership.group_id == proposal.group_id,
                                                     GroupMembership.user_id == user.id))))


@dataclass(frozen=True)
class Limits:
    per_user: int
    per_address: int
    window: int


def posting_limits(user: User, now: datetime | None = None) -> Limits:
    """How many comments the user may post in a window; new accounts get fewer."""
    now = now or utcnow()
    config = current_app.config
    young = now - user.created_at < timedelta(hours=config["COMMENT_NEW_ACCOUNT_HOURS"])
    return Limits(per_user=config["COMMENT_LIMIT_NEW_ACCOUNT"] if young else config["COMMENT_LIMIT_PER_USER"],
                  per_address=config["COMMENT_LIMIT_PER_ADDRESS"], window=config["COMMENT_WINDOW"])


def check_posting_rate(user: User, address: str, now: datetime | None = None, kind: str = "comment") -> None:
    """Count one post for the user and the address; raise ``TooManyAttempts``
    when either has posted too often in the window. Edits (``kind="comment-edit"``)
    are limited the same way, on counters of their own: an edit can replace
    a comment's whole text."""
    limits = posting_limits(user, now)
    by_user = limiter().hit(f"{kind}:user:{user.id}", limits.per_user, limits.window)
    if not by_user.allowed:
        raise TooManyAttempts(by_user.retry_after)
    by_address = limiter().hit(f"{kind}:addr:{address}", limits.per_address, limits.window)
    if not by_address.allowed:
        raise TooManyAttempts(by_address.retry_after)


def check_editing_rate(user: User, address: str, now: datetime | None = None) -> None:
    check_posting_rate(user, address, now, kind="comment-edit")


def _sameness(text: str) -> str:
    """What makes two comments the same text: compared without full-width and
    half-width differences, and with every run of white space as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def refuse_repeat(session: Session, actor: User, proposal: Proposal, parent: Comment | None, body: str,
                  now: datetime, editing: Comment | None = None) -> None:
    """Refuse the author's own text again in the same place (on the proposal,
    or under the same comment) within ``REPEAT_WINDOW``: flooding a thread with
    one message, or posting again what a moderator hid. Deleted comments do not count."""
    query = select(Comment.body_markdown).where(
        Comment.author_id == actor.id, Comment.proposal_id == proposal.id,
        Comment.parent_id == parent.id if parent is not None else Comment.parent_id.is_(None),
        Comment.status != CommentStatus.DELETED, Comment.created_at >= now - REPEAT_WINDOW)
    if editing is not None:
        query = query.where(Comment.id != editing.id)
    wanted = _sameness(body)
    if any(_sameness(earlier) == wanted for earlier in session.scalars(query)):
        raise DomainError(_l("You have already posted this text here. Write something new, or edit the "
                             "comment you posted."), "body")


# Counting --------------------------------------------------------------------------------

def _lock(session: Session, proposal: Proposal) -> None:
    """Serialise comment changes on one proposal. FOR NO KEY UPDATE does not
    conflict with the key-share locks that inserting a comment takes; on
    SQLite the writing transaction already holds the database's write lock."""
    session.execute(select(Proposal.id).where(Proposal.id == proposal.id).with_for_update(key_share=True))


def recount(session: Session, proposal: Proposal) -> int:
    """Set ``comment_count`` to the number of visible comments. A plain
    UPDATE, so the group's edit lock (``lock_version``) is not disturbed."""
    session.flush()
    visible = (select(func.count(Comment.id))
               .where(Comment.proposal_id == proposal.id, Comment.status == CommentStatus.VISIBLE)
               .scalar_subquery())
    count = session.execute(update(Proposal).where(Proposal.id == proposal.id).values(comment_count=visible)
                            .returning(Proposal.comment_count),
                            execution_options={"synchronize_session": False}).scalar_one()
    set_committed_value(proposal, "comment_count", count)
    return int(count)


def _changed(session: Session, comment: Comment) -> None:
    recount(session, comment.proposal)
    search.enqueue(session, "comment", comment.id)


# Residents -------------------------------------------------------------------------------

def post_comment(session: Session, actor: User, proposal: Proposal, text: str,
                 parent: Comment | None = None, now: datetime | None = None) -> Comment:
    """A comment on a public proposal, or a reply to a top-level comment."""
    now = now or utcnow()
    if not actor.is_verified:
        raise NotAllowed(_l("Confirm your e-mail address before you comment."))
    if not visibility.is_public(proposal):
        raise DomainError(_l("This proposal is not public, so it cannot be commented on."))
    if proposal.comments_locked:
        raise DomainError(_l("Comments on this proposal are closed."))
    if parent is not None:
        if parent.proposal_id != proposal.id:
            raise DomainError(_l("That comment belongs to another proposal."))
        if parent.parent_id is not None:
            raise DomainError(_l("Replies go to the comment that started the conversation, not to another reply."))
        if parent.status is not CommentStatus.VISIBLE:
            raise DomainError(_l("That comment can no longer be replied to."))
    body = clean_body(text)
    _lock(session, proposal)
    refuse_repeat(session, actor, proposal, parent, body, now)
    held = held_reason(session, proposal.call, body)
    comment = Comment(proposal=proposal, parent=parent, author=actor, body_markdown=body,
                      body_html=render_markdown(body), created_at=now, held_reason=held,
                      by_applicant_team=is_applicant(session, actor, proposal),
                      status=CommentStatus.PENDING if held else CommentStatus.VISIBLE)
    session.add(comment)
    session.flush()
    _changed(session, comment)
    audit.record(session, actor, "comment.posted", comment, proposal=proposal.id,
                 parent=parent.id if parent else None, status=comment.status.value, held=held)
    return comment


def edit_comment(session: Session, actor: User, comment: Comment, text: str,
                 now: datetime | None = None) -> None:
    """The author's correction within the edit window. The text is checked
    again: a sensitive word (or a pre-moderated call) sends it back to the queue."""
    now = now or utcnow()
    if comment.author_id != actor.id:
        raise NotAllowed(_l("Only its author can edit a comment."))
    if comment.status not in (CommentStatus.VISIBLE, CommentStatus.PENDING):
        raise DomainError(_l("This comment can no longer be edited."))
    if now - comment.created_at > EDIT_WINDOW:
        raise DomainError(_l("A comment can be edited for %(minutes)d minutes after it is posted; that time "
                             "has passed.", minutes=EDIT_WINDOW.seconds // 60))
    if comment.proposal.comments_locked:
        raise DomainError(_l("Comments on this proposal are closed."))
    body = clean_body(text)
    _lock(session, comment.proposal)
    refuse_repeat(session, actor, comment.proposal, comment.parent, body, now, editing=comment)
    previous = comment.status
    held = held_reason(session, comment.proposal.call, body)
    comment.body_markdown = body
    comment.body_html = render_markdown(body)
    comment.edited_at = now
    comment.held_reason = held
    comment.status = CommentStatus.PENDING if held else CommentStatus.VISIBLE
    _changed(session, comment)
    audit.record(session, actor, "comment.edited", comment, status=comment.status.value, held=held,
                 **{"from": previous.value})


def delete_comment(session: Session, actor: User, comment: Comment) -> None:
    """The author's deletion. The row stays (replies hang from it); its text
    is never shown again."""
    if comment.author_id != actor.id:
        raise NotAllowed(_l("Only its author can delete a comment."))
    if comment.status is CommentStatus.DELETED:
        raise DomainError(_l("This comment is already deleted."))
    _lock(session, comment.proposal)
    previous = comment.status
    comment.status = CommentStatus.DELETED
    _changed(session, comment)
    audit.record(session, actor, "comment.deleted", comment, **{"from": previous.value})


def report_comment(session: Session, actor: User, comment: Comment, reason: str,
                   now: datetime | None = None) -> CommentReport:
    """A verified user flags a visible comment for the moderators, once."""
    now = now or utcnow()
    if not actor.is_verified:
        raise NotAllowed(_l("Confirm your e-mail address before you report a comment."))
    if comment.author_id == actor.id:
        raise NotAllowed(_l("You cannot report your own comment."))
    if comment.status is not CommentStatus.VISIBLE:
        raise DomainError(_l("Only a visible comment can be reported."))
    reason = clean_reason(reason)
    already = _l("You have already reported this comment. The moderators will look at it.")
    if session.scalar(select(CommentReport.id).where(CommentReport.comment_id == comment.id,
                                                     CommentReport.reporter_id == actor.id)) is not None:
        raise DomainError(already)
    report = CommentReport(comment=comment, reporter_id=actor.id, reason=reason, created_at=now)
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError:  # the same report sent twice at once
        raise DomainError(already) from None
    comment.report_count = session.scalar(
        select(func.count(CommentReport.id)).where(CommentReport.comment_id == comment.id)) or 0
    session.flush()
    audit.record(session, actor, "comment.reported", comment, report=report.id, reports=comment.report_count)
    return report


# Moderators ------------------------------------------------------------------------------

def _require_moderator(actor: User, proposal: Proposal) -> None:
    if not permissions.can(actor, "comment:moderate", proposal):
        raise NotAllowed(_l("Only the organizers of this call moderate its comments."))


def _resolve_reports(session: Session, comment: Comment, now: datetime) -> int:
    reports = session.scalars(select(CommentReport).where(CommentReport.comment_id == comment.id,
                                                          CommentReport.resolved_at.is_(None))).all()
    for report in reports:
        report.resolved_at = now
    return len(reports)


def _moderated(comment: Comment, actor: User, now: datetime, reason: str = "") -> None:
    comment.moderated_at = now
    comment.moderated_by_id = actor.id
    comment.moderation_reason = reason


def hide_comment(session: Session, actor: User, comment: Comment, reason: str,
                 now: datetime | None = None) -> None:
    """Hide a visible comment, or turn down a held one, with a reason."""
    now = now or utcnow()
    _require_moderator(actor, comment.proposal)
    if comment.status not in (CommentStatus.VISIBLE, CommentStatus.PENDING):
        raise DomainError(_l("Only a visible or held comment can be hidden."))
    reason = clean_reason(reason)
    _lock(session, comment.proposal)
    previous = comment.status
    comment.status = CommentStatus.HIDDEN
    _moderated(comment, actor, now, reason)
    resolved = _resolve_reports(session, comment, now)
    _changed(session, comment)
    audit.record(session, actor, "comment.hidden", comment, reason=reason, reports_resolved=resolved,
                 **{"from": previous.value})


def restore_comment(session: Session, actor: User, comment: Comment, now: datetime | None = None) -> None:
    """Show a hidden comment again (its reports are settled with it)."""
    now = now or utcnow()
    _require_moderator(actor, comment.proposal)
    if comment.status is not CommentStatus.HIDDEN:
        raise DomainError(_l("Only a hidden comment can be restored."))
    _lock(session, comment.proposal)
    comment.status = CommentStatus.VISIBLE
    _moderated(comment, actor, now)
    resolved = _resolve_reports(session, comment, now)
    _changed(session, comment)
    audit.record(session, actor, "comment.restored", comment, reports_resolved=resolved)


def approve_comment(session: Session, actor: User, comment: Comment, now: datetime | None = None) -> None:
    """Publish a comment that was held for moderation."""
    now = now or utcnow()
    _require_moderator(actor, comment.proposal)
    if comment.status is not CommentStatus.PENDING:
        raise DomainError(_l("Only a comment awaiting moderation can be approved."))
    _lock(session, comment.proposal)
    comment.status = CommentStatus.VISIBLE
    _moderated(comment, actor, now)
    _changed(session, comment)
    audit.record(session, actor, "comment.approved", comment, held=comment.held_reason)


def dismiss_reports(session: Session, actor: User, comment: Comment, now: datetime | None = None) -> int:
    """The moderator read the reports and keeps the comment as it is."""
    now = now or utcnow()
    _require_moderator(actor, comment.proposal)
    resolved = _resolve_reports(session, comment, now)
    if not resolved:
        raise DomainError(_l("There is no open report on this comment."))
    session.flush()
    audit.record(session, actor, "comment.reports_dismissed", comment, reports_resolved=resolved)
    return resolved


def lock_comments(session: Session, actor: User, proposal: Proposal) -> None:
    """Close a proposal's comments: what is there stays, nothing new is added."""
    _set_locked(session, actor, proposal, True)


def unlock_comments(session: Session, actor: User, proposal: Proposal) -> None:
    _set_locked(session, actor, proposal, False)


def _set_locked(session: Session, actor: User, proposal: Proposal, locked: bool) -> None:
    _require_moderator(actor, proposal)
    if proposal.comments_locked == locked:
        raise DomainError(_l("Comments on this proposal are already closed.") if locked
                          else _l("Comments on this proposal are already open."))
    # A plain UPDATE: closing comments is not an edit of the group's text.
    session.execute(update(Proposal).where(Proposal.id == proposal.id).values(comments_locked=locked),
                    execution_options={"synchronize_session": False})
    set_committed_value(proposal, "comments_locked", locked)
    audit.record(session, actor, "comment.locked" if locked else "comment.unlocked", proposal)


# Sensitive words ---------------------------------------------------------------------------

def _require_body_moderator(actor: User, body: OrganizingBody) -> None:
    if not permissions.can(actor, "comment:moderate_body", body):
        raise NotAllowed(_l("Only the organizers of this body manage its sensitive words."))


def add_sensitive_word(session: Session, actor: User, body: OrganizingBody, word: str) -> SensitiveWord:
    """A word that holds new comments on the body's calls for moderation.
    Comments already published are not affected."""
    _require_body_moderator(actor, body)
    word = " ".join(plain(word).split())
    if not word:
        raise DomainError(_l("Enter a word."), "word")
    if len(word) > MAX_WORD_CHARS:
        raise DomainError(_l("At most %(max)d characters.", max=MAX_WORD_CHARS), "word")
    existing = session.scalars(select(SensitiveWord.word).where(SensitiveWord.body_id == body.id)).all()
    if any(w.casefold() == word.casefold() for w in existing):
        raise DomainError(_l("“%(word)s” is already on the list.", word=word), "word")
    entry = SensitiveWord(body_id=body.id, word=word)
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        raise DomainError(_l("“%(word)s” is already on the list.", word=word), "word") from None
    audit.record(session, actor, "comment.word_added", body, word=word)
    return entry


def remove_sensitive_word(session: Session, actor: User, body: OrganizingBody, word_id: int) -> None:
    _require_body_moderator(actor, body)
    entry = session.get(SensitiveWord, word_id)
    if entry is None or entry.body_id != body.id:
        raise DomainError(_l("That word is not on the list."))
    word = entry.word
    session.delete(entry)
    session.flush()
    audit.record(session, actor, "comment.word_removed", body, word=word)


# Queries -------------------------------------------------------------------------------------

PAGE_SIZE = 50


@dataclass(frozen=True)
class Reader:
    """Who reads a thread, as far as which comments it shows them: their id
    (None when signed out) and whether they moderate the proposal's comments."""

    user_id: int | None
    moderator: bool


def _seen(comment: Any, reader: Reader) -> Any:
    """SQL: the reader sees this comment's text or a placeholder for it, even
    without replies (visible, hidden, or held and theirs or moderated by them)."""
    held_for_them: Any
    if reader.moderator:
        held_for_them = true()
    elif reader.user_id is not None:
        held_for_them = comment.author_id == reader.user_id
    else:
        held_for_them = false()
    return or_(comment.status.in_([CommentStatus.VISIBLE, CommentStatus.HIDDEN]),
               and_(comment.status == CommentStatus.PENDING, held_for_them))


def _shown_top_level(proposal: Proposal, reader: Reader) -> Any:
    """The top-level comments of the proposal that the thread shows this
    reader: those seen by themselves, and held or deleted ones kept as a
    placeholder above a reply the reader sees. The same decisions as
    ``views._entry``, in SQL, so that a page holds ``PAGE_SIZE`` entries."""
    reply = aliased(Comment)
    answered = exists().where(reply.parent_id == Comment.id, _seen(reply, reader))
    return select(Comment).where(
        Comment.proposal_id == proposal.id, Comment.parent_id.is_(None),
        or_(_seen(Comment, reader),
            and_(Comment.status.in_([CommentStatus.PENDING, CommentStatus.DELETED]), answered)))


def _before(key: tuple[datetime, int]) -> Any:
    return or_(Comment.created_at < key[0], and_(Comment.created_at == key[0], Comment.id < key[1]))


def _after(key: tuple[datetime, int]) -> Any:
    return or_(Comment.created_at > key[0], and_(Comment.created_at == key[0], Comment.id > key[1]))


def _cursor(comment: Comment) -> str:
    return encode_cursor(comment.created_at, comment.id)


def _decode(cursor: str | None) -> tuple[datetime, int] | None:
    key = decode_cursor(cursor, "newest")  # the showcase's cursor: a moment and an id
    if key is None or key[0].tzinfo is None or not 0 < key[1] < 2**31:
        return None
    return key


@dataclass
class ThreadPage:
    """One page of a thread, oldest first: up to ``PAGE_SIZE`` top-level
    comments with their replies, and the cursors of the pages around it
    (``older`` for ``comments_before``, ``newer`` for ``comments_after``)."""

    comments: list[Comment]
    replies: dict[int, list[Comment]]
    older: str | None
    newer: str | None


def thread_page(session: Session, proposal: Proposal, reader: Reader, *, after: str | None = None,
                before: str | None = None, page_size: int = PAGE_SIZE) -> ThreadPage:
    """A page of the proposal's thread for the reader, oldest first, with
    keyset pagination: ``after`` (or ``before``) is the cursor of the
    comment the page follows (precedes). New comments join the end, so a
    page's link stays valid while people write. A constant number of
    queries however long the thread (the authors come with their comments)."""
    query = _shown_top_level(proposal, reader).options(joinedload(Comment.author))
    after_key, before_key = _decode(after), _decode(before)
    backwards = before_key is not None and after_key is None
    if backwards:
        rows = list(session.scalars(query.where(_before(before_key))  # type: ignore[arg-type]
                                    .order_by(Comment.created_at.desc(), Comment.id.desc())
                                    .limit(page_size + 1)).unique())
        more_older, comments = len(rows) > page_size, rows[:page_size][::-1]
    else:
        if after_key is not None:
            query = query.where(_after(after_key))
        rows = list(session.scalars(query.order_by(Comment.created_at, Comment.id).limit(page_size + 1)).unique())
        more_newer, comments = len(rows) > page_size, rows[:page_size]
    if not comments and (after_key or before_key):
        return thread_page(session, proposal, reader, page_size=page_size)  # a stale cursor: the first page
    if backwards:
        last = comments[-1]
        more_newer = bool(session.scalar(select(_shown_top_level(proposal, reader)
                                                .where(_after((last.created_at, last.id))).exists())))
    elif after_key is not None:
        first = comments[0]
        more_older = bool(session.scalar(select(_shown_top_level(proposal, reader)
                                                .where(_before((first.created_at, first.id))).exists())))
    else:
        more_older = False
    replies: dict[int, list[Comment]] = {}
    if comments:
        # All their replies; the view leaves out those the reader does not see. (Filtering here
        # would tempt SQLite to scan the status index of every comment instead of the parent's.)
        for reply in session.scalars(select(Comment).where(Comment.parent_id.in_([c.id for c in comments]))
                                     .order_by(Comment.created_at, Comment.id)
                                     .options(joinedload(Comment.author))).unique():
            replies.setdefault(reply.parent_id, []).append(reply)  # type: ignore[arg-type]
    return ThreadPage(comments=comments, replies=replies,
                      older=_cursor(comments[0]) if more_older else None,
                      newer=_cursor(comments[-1]) if more_newer else None)


def page_of(session: Session, proposal: Proposal, reader: Reader, comment: Comment,
            page_size: int = PAGE_SIZE) -> str | None:
    """The ``comments_after`` cursor of the page that holds the comment (or
    its reply's parent) for this reader, pages counted from the oldest;
    None for the first page, or when the reader does not see the comment."""
    top = comment if comment.parent_id is None else session.get(Comment, comment.parent_id)
    if top is None or top.proposal_id != proposal.id:
        return None
    shown = _shown_top_level(proposal, reader)
    if not session.scalar(select(shown.where(Comment.id == top.id).exists())):
        return None
    earlier = session.scalar(select(func.count()).select_from(
        shown.where(_before((top.created_at, top.id))).subquery())) or 0
    start = earlier // page_size * page_size
    if start == 0:
        return None
    previous = session.execute(shown.with_only_columns(Comment.created_at, Comment.id)
                               .order_by(Comment.created_at, Comment.id).offset(start - 1).limit(1)).first()
    return encode_cursor(previous.created_at, previous.id) if previous is not None else None


@dataclass
class Queue:
    pending: list[Comment]
    reported: list[tuple[Comment, list[CommentReport]]]
    hidden: list[Comment]
    words: list[SensitiveWord]


QUEUE_LIMIT = 200


def moderation_queue(session: Session, body: OrganizingBody) -> Queue:
    """What waits for a body's moderators across its calls: held comments,
    reported ones and the most recently hidden."""
    from sqlalchemy.orm import joinedload, selectinload

    def of_body(query: Any) -> Any:
        return (query.join(Proposal, Comment.proposal_id == Proposal.id).join(Call, Proposal.call_id == Call.id)
                .where(Call.body_id == body.id)
                .options(selectinload(Comment.author), selectinload(Comment.proposal)))

    pending = session.scalars(of_body(select(Comment)).where(Comment.status == CommentStatus.PENDING)
                              .order_by(Comment.created_at, Comment.id).limit(QUEUE_LIMIT)).all()
    open_reports = session.scalars(
        select(CommentReport).join(Comment, CommentReport.comment_id == Comment.id)
        .join(Proposal, Comment.proposal_id == Proposal.id).join(Call, Proposal.call_id == Call.id)
        .where(Call.body_id == body.id, CommentReport.resolved_at.is_(None),
               Comment.status == CommentStatus.VISIBLE)
        .order_by(CommentReport.created_at, CommentReport.id).limit(QUEUE_LIMIT * 5)
        .options(joinedload(CommentReport.comment).joinedload(Comment.author),
                 joinedload(CommentReport.comment).joinedload(Comment.proposal))).all()
    by_comment: dict[int, tuple[Comment, list[CommentReport]]] = {}
    for report in open_reports:
        by_comment.setdefault(report.comment_id, (report.comment, []))[1].append(report)
    hidden = session.scalars(of_body(select(Comment)).where(Comment.status == CommentStatus.HIDDEN)
                             .order_by(Comment.moderated_at.desc(), Comment.id.desc()).limit(50)).all()
    words = session.scalars(select(SensitiveWord).where(SensitiveWord.body_id == body.id)
                            .order_by(SensitiveWord.word)).all()
    return Queue(pending=list(pending), reported=list(by_comment.values())[:QUEUE_LIMIT],
                 hidden=list(hidden), words=list(words))
