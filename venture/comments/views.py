"""Comments on the public proposal page, and the moderators' queue.

Every form here is an ordinary POST with its CSRF token and works without
JavaScript; each answer redirects back to the comment on the proposal page.
Who sees which comment, and under which name, is decided in ``thread_context``
(the proposal page includes ``comments/_thread.html`` with it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from venture import permissions
from venture.bodies.models import OrganizingBody
from venture.comments import forms, services
from venture.comments.models import Comment, CommentStatus
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.ratelimit import TooManyAttempts
from venture.extensions import db
from venture.proposals.models import Proposal
from venture.showcase import visibility
from venture.web import MAX_ID, client_address, form_error, load_or_404, safe_next

bp = Blueprint("comments", __name__)


# Who wrote it, and what each viewer sees -------------------------------------------------------

def author_label(comment: Comment, blind: bool | None = None) -> str:
    """The name shown for a comment's author. While the call's review is
    blind, a member of the proposal's own group is only "the applicant team".
    ``blind`` may be given when it is already known for the comment's call."""
    if blind is None:
        blind = not visibility.identity_revealed(comment.proposal.call)
    if comment.by_applicant_team and blind:
        return _("Applicant team")
    # A name that is the group's (or a member's, or the contact's) is redacted like the proposal.
    return visibility.person_name(comment.author.public_name, comment.proposal)


@dataclass
class Entry:
    """One comment as the current viewer sees it."""

    comment: Comment
    show_text: bool
    author: str = ""
    placeholder: str = ""
    note: str = ""
    reasons: list[str] = field(default_factory=list)
    own: bool = False
    team: bool = False
    replies: list[Entry] = field(default_factory=list)
    can_reply: bool = False
    can_edit: bool = False
    can_delete: bool = False
    can_report: bool = False
    can_hide: bool = False
    can_restore: bool = False
    can_approve: bool = False
    edit_until: datetime | None = None

    @property
    def anchor(self) -> str:
        return f"comment-{self.comment.id}"


@dataclass
class Thread:
    proposal: Proposal
    entries: list[Entry]
    form: forms.CommentForm
    count: int
    can_post: bool
    locked: bool
    moderator: bool
    blind: bool
    signed_in: bool
    verified: bool
    older: str | None = None  # cursors of the pages around this one (see services.thread_page)
    newer: str | None = None


def _entry(comment: Comment, user: Any, moderator: bool, shown_replies: list[Entry],
           can_post: bool, rights: permissions.CommentRights | None = None,
           blind: bool | None = None) -> Entry | None:
    """What ``user`` sees of ``comment``; None when it is left out altogether.
    A page of the thread passes what it decided once for all its comments:
    ``rights``, the viewer's comment rules on the proposal
    (``permissions.comment_rights``), and ``blind``, whether the call's
    review hides the applicant team's names."""
    own = user.is_authenticated and comment.author_id == user.id
    status = comment.status
    entry = Entry(comment=comment, show_text=False, own=own, replies=shown_replies,
                  team=comment.by_applicant_team)
    if status is CommentStatus.VISIBLE:
        entry.show_text = True
    elif status is CommentStatus.PENDING:
        if own or moderator:
            entry.show_text = True
            entry.note = _("Awaiting moderation")
            if moderator:
                entry.reasons = services.held_reason_labels(comment)
        elif shown_replies:
            entry.placeholder = _("This comment is awaiting moderation.")
        else:
            return None
    elif status is CommentStatus.HIDDEN:
        if moderator:
            entry.show_text = True
            entry.note = _("Hidden by the moderator")
            entry.reasons = [_("Reason: %(reason)s", reason=comment.moderation_reason)]
        else:
            entry.placeholder = _("Hidden by the moderator")
            if own:
                entry.reasons = [_("Reason: %(reason)s", reason=comment.moderation_reason)]
    elif status is CommentStatus.DELETED:
        if not shown_replies:
            return None
        entry.placeholder = _("Deleted by its author")
    if entry.show_text:
        rights = rights or permissions.comment_rights(user, comment.proposal)
        entry.author = author_label(comment, blind)
        entry.can_edit = rights.edit(comment)
        if entry.can_edit:
            entry.edit_until = comment.created_at + services.EDIT_WINDOW
        entry.can_delete = rights.delete(comment)
        entry.can_report = rights.report(comment)
        entry.can_reply = (can_post and comment.parent_id is None and status is CommentStatus.VISIBLE)
    if moderator:
        entry.can_hide = status in (CommentStatus.VISIBLE, CommentStatus.PENDING)
        entry.can_restore = status is CommentStatus.HIDDEN
        entry.can_approve = status is CommentStatus.PENDING
    return entry


def _reader(proposal: Proposal) -> services.Reader:
    user = current_user
    return services.Reader(user_id=user.id if user.is_authenticated else None,
                           moderator=permissions.can(user, "comment:moderate", proposal))


def thread_context(proposal: Proposal) -> dict[str, Any]:
    """One page of the comment thread of a public proposal, as the current
    user sees it, for ``{% include "comments/_thread.html" %}``. The page is
    chosen by the request's ``comments_after`` or ``comments_before`` cursor,
    or by ``comment`` (the id of a comment: the page that holds it)."""
    user = current_user
    reader = _reader(proposal)
    moderator = reader.moderator
    can_post = permissions.can(user, "comment:post", proposal)
    after, before = request.args.get("comments_after"), request.args.get("comments_before")
    wanted = request.args.get("comment", "")
    if wanted.isdigit() and 0 < int(wanted) <= MAX_ID and not (after or before):
        target = db.session.get(Comment, int(wanted))
        if target is not None and target.proposal_id == proposal.id:
            after = services.page_of(db.session, proposal, reader, target)
    page = services.thread_page(db.session, proposal, reader, after=after, before=before)
    rights = permissions.comment_rights(user, proposal)
    blind = not visibility.identity_revealed(proposal.call)
    entries = []
    for comment in page.comments:
        shown = [e for e in (_entry(r, user, moderator, [], can_post, rights, blind)
                             for r in page.replies.get(comment.id, [])) if e is not None]
        entry = _entry(comment, user, moderator, shown, can_post, rights, blind)
        if entry is not None:
            entries.append(entry)
    return {"thread": Thread(
        proposal=proposal, entries=entries, form=forms.CommentForm(formdata=None),
        count=proposal.comment_count, can_post=can_post,
        locked=proposal.comments_locked, moderator=moderator, blind=blind,
        signed_in=bool(user.is_authenticated), verified=bool(getattr(user, "is_verified", False)),
        older=page.older, newer=page.newer)}


# Helpers ------------------------------------------------------------------------------------------

def _public(proposal_id: str) -> Proposal:
    """A public proposal, or 404 (drafts are not discoverable)."""
    proposal = load_or_404(Proposal, proposal_id)
    if not permissions.can(current_user, "proposal:view_public", proposal):
        raise NotFound()
    return proposal


def _at(proposal: Proposal, anchor: str = "comments") -> str:
    return url_for("showcase.proposal", proposal_id=proposal.id, _anchor=anchor)


def _at_comment(comment: Comment) -> str:
    """The comment on its page of the thread, as the current user sees it."""
    proposal = comment.proposal
    after = services.page_of(db.session, proposal, _reader(proposal), comment)
    return url_for("showcase.proposal", proposal_id=proposal.id, comments_after=after,
                   _anchor=f"comment-{comment.id}")


def _back(form: Any, comment: Comment) -> str:
    """Where a moderator's action returns: the queue it came from, or the comment."""
    target = form.next.data if form is not None else None
    return safe_next(target) if target else _at_comment(comment)


def _moderated_comment(comment_id: str) -> Comment:
    comment = load_or_404(Comment, comment_id)
    permissions.require(current_user, "comment:moderate", comment.proposal)
    return comment


def _render_form_page(template: str, status: int, **context: Any) -> Any:
    return render_template(template, author_of=author_label, **context), status


# Residents ----------------------------------------------------------------------------------------

@bp.route("/proposals/<proposal_id>/comments", methods=["POST"])
@login_required
def post(proposal_id: str) -> Any:
    proposal = _public(proposal_id)
    permissions.require(current_user, "comment:post", proposal)
    form = forms.CommentForm()
    parent = None
    if form.parent_id.data is not None:
        if 0 < form.parent_id.data <= MAX_ID:
            parent = db.session.get(Comment, form.parent_id.data)
        if parent is None or parent.proposal_id != proposal.id:
            raise NotFound()
    if form.validate_on_submit():
        try:
            services.check_posting_rate(current_user, client_address())
            comment = services.post_comment(db.session, current_user, proposal, form.body.data, parent)
        except TooManyAttempts as error:
            minutes = max(1, (error.retry_after + 59) // 60)
            body, status = _render_form_page(
                "comments/compose.html", 429, proposal=proposal, form=form, parent=parent,
                too_many=_("You have posted several comments in a short time. To keep the discussion free "
                           "of spam, wait %(minutes)d minutes, then send your comment again. Your text is "
                           "kept below.", minutes=minutes))
            return body, status, {"Retry-After": str(error.retry_after)}
        except DomainError as error:
            form_error(form, error)
        else:
            if comment.status is CommentStatus.PENDING:
                flash(_("Thank you. Your comment will appear once a moderator has approved it."), "info")
            else:
                flash(_("Your comment is published."), "success")
            return redirect(_at_comment(comment))
    return _render_form_page("comments/compose.html", 422, proposal=proposal, form=form, parent=parent,
                             too_many=None)


@bp.route("/comments/<comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(comment_id: str) -> Any:
    comment = load_or_404(Comment, comment_id, "comment:edit")
    form = forms.EditCommentForm(data={"body": comment.body_markdown} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.check_editing_rate(current_user, client_address())
            services.edit_comment(db.session, current_user, comment, form.body.data)
        except TooManyAttempts as error:
            minutes = max(1, (error.retry_after + 59) // 60)
            body, status = _render_form_page(
                "comments/edit.html", 429, comment=comment, proposal=comment.proposal, form=form,
                edit_until=comment.created_at + services.EDIT_WINDOW,
                too_many=_("You have changed comments several times in a short time. Wait %(minutes)d "
                           "minutes, then save again. Your text is kept below.", minutes=minutes))
            return body, status, {"Retry-After": str(error.retry_after)}
        except DomainError as error:
            form_error(form, error)
        else:
            if comment.status is CommentStatus.PENDING:
                flash(_("Your comment is saved. It will appear once a moderator has approved it."), "info")
            else:
                flash(_("Your comment is saved."), "success")
            return redirect(_at_comment(comment))
    return _render_form_page("comments/edit.html", 422 if request.method == "POST" else 200,
                             comment=comment, proposal=comment.proposal, form=form,
                             edit_until=comment.created_at + services.EDIT_WINDOW)


@bp.route("/comments/<comment_id>/delete", methods=["POST"])
@login_required
def delete(comment_id: str) -> Any:
    comment = load_or_404(Comment, comment_id, "comment:delete")
    try:
        services.delete_comment(db.session, current_user, comment)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(_at_comment(comment))
    flash(_("Your comment is deleted."), "success")
    if comment.parent_id is None and any(r.status is not CommentStatus.DELETED for r in comment.replies):
        return redirect(_at_comment(comment))
    return redirect(_at(comment.proposal))


@bp.route("/comments/<comment_id>/report", methods=["POST"])
@login_required
def report(comment_id: str) -> Any:
    comment = load_or_404(Comment, comment_id, "comment:report")
    form = forms.ReasonForm()
    if form.validate_on_submit():
        try:
            services.report_comment(db.session, current_user, comment, form.reason.data)
        except DomainError as error:
            if error.field == "reason":
                form_error(form, error)
            else:
                flash(str(error.message), "error")
                return redirect(_at_comment(comment))
        else:
            flash(_("Thank you. The moderators will look at this comment."), "success")
            return redirect(_at_comment(comment))
    return _render_form_page("comments/reason.html", 422, comment=comment, proposal=comment.proposal, form=form,
                             action=url_for("comments.report", comment_id=comment.id),
                             title=_("Report a comment"), submit=_("Send the report"),
                             intro=_("Tell the moderators what is wrong with this comment: for example "
                                     "abuse, personal details, advertising or something untrue."))


# Moderators ---------------------------------------------------------------------------------------

@bp.route("/comments/<comment_id>/hide", methods=["POST"])
@login_required
def hide(comment_id: str) -> Any:
    comment = _moderated_comment(comment_id)
    form = forms.ReasonForm()
    if form.validate_on_submit():
        try:
            services.hide_comment(db.session, current_user, comment, form.reason.data)
        except DomainError as error:
            if error.field == "reason":
                form_error(form, error)
            else:
                flash(str(error.message), "error")
                return redirect(_back(form, comment))
        else:
            flash(_("The comment is hidden. The public sees that a moderator hid it."), "success")
            return redirect(_back(form, comment))
    return _render_form_page("comments/reason.html", 422, comment=comment, proposal=comment.proposal, form=form,
                             action=url_for("comments.hide", comment_id=comment.id),
                             title=_("Hide a comment"), submit=_("Hide the comment"),
                             intro=_("The reason is kept in the audit log and shown to the author."))


def _one_button(comment_id: str, change: Any, done: str) -> Any:
    comment = _moderated_comment(comment_id)
    form = forms.ActionForm()
    try:
        change(db.session, current_user, comment)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(done, "success")
    return redirect(_back(form, comment))


@bp.route("/comments/<comment_id>/restore", methods=["POST"])
@login_required
def restore(comment_id: str) -> Any:
    return _one_button(comment_id, services.restore_comment, _("The comment is shown again."))


@bp.route("/comments/<comment_id>/approve", methods=["POST"])
@login_required
def approve(comment_id: str) -> Any:
    return _one_button(comment_id, services.approve_comment, _("The comment is approved and published."))


@bp.route("/comments/<comment_id>/dismiss-reports", methods=["POST"])
@login_required
def dismiss_reports(comment_id: str) -> Any:
    return _one_button(comment_id, services.dismiss_reports,
                       _("The reports are closed; the comment stays as it is."))


@bp.route("/proposals/<proposal_id>/comments/lock", methods=["POST"])
@login_required
def lock(proposal_id: str) -> Any:
    return _lock(proposal_id, services.lock_comments, _("Comments on this proposal are closed."))


@bp.route("/proposals/<proposal_id>/comments/unlock", methods=["POST"])
@login_required
def unlock(proposal_id: str) -> Any:
    return _lock(proposal_id, services.unlock_comments, _("Comments on this proposal are open again."))


def _lock(proposal_id: str, change: Any, done: str) -> Any:
    proposal = load_or_404(Proposal, proposal_id, "comment:moderate")
    try:
        change(db.session, current_user, proposal)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(done, "success")
    return redirect(_at(proposal))


# The queue -----------------------------------------------------------------------------------------

def _render_queue(body: OrganizingBody, word_form: forms.SensitiveWordForm, status: int = 200) -> Any:
    return render_template("comments/queue.html", body=body, queue=services.moderation_queue(db.session, body),
                           word_form=word_form, author_of=author_label, held_reasons=services.held_reason_labels,
                           back=url_for("comments.queue", body_id=body.id)), status


@bp.route("/bodies/<body_id>/moderation")
@login_required
def queue(body_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "comment:moderate_body")
    return _render_queue(body, forms.SensitiveWordForm(formdata=None))


@bp.route("/bodies/<body_id>/moderation/words", methods=["POST"])
@login_required
def add_word(body_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "comment:moderate_body")
    form = forms.SensitiveWordForm()
    if form.validate_on_submit():
        try:
            entry = services.add_sensitive_word(db.session, current_user, body, form.word.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("“%(word)s” is added to the sensitive words.", word=entry.word), "success")
            return redirect(url_for("comments.queue", body_id=body.id, _anchor="words"))
    return _render_queue(body, form, 422)


@bp.route("/bodies/<body_id>/moderation/words/remove", methods=["POST"])
@login_required
def remove_word(body_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "comment:moderate_body")
    form = forms.RemoveWordForm()
    if form.validate_on_submit() and 0 < form.word_id.data <= MAX_ID:
        try:
            services.remove_sensitive_word(db.session, current_user, body, form.word_id.data)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("The word is removed from the sensitive words."), "success")
    else:
        flash(_("That word is not on the list."), "error")
    return redirect(url_for("comments.queue", body_id=body.id, _anchor="words"))
