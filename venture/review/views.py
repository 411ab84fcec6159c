"""The reviewer's side of blind review: their dashboard, the blind proposal
with its score sheet, and the proposal's files without their metadata."""
from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import BuildError

from venture import permissions
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.ratelimit import TooManyAttempts, limiter
from venture.core.tokens import new_token
from venture.extensions import db
from venture.proposals import files, storage
from venture.review import forms, scoring, services
from venture.review.models import Assignment
from venture.stash import BROWSER_COOKIE, STASH_MAX_CHARS, _set_browser_cookie, keep_on_expiry
from venture.web import client_address, load, load_or_404

bp = Blueprint("review", __name__)


def _link(endpoint: str, path: str, **values: Any) -> str:
    """A link to a page another part of the review stage provides; its plain
    path while that page is not there yet."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return path


# The dashboard ---------------------------------------------------------------------------------

@bp.route("/review/")
@login_required
def my_assignments() -> Any:
    permissions.require(current_user, "review:my_assignments")
    seats = services.seats(db.session, current_user)
    links = {seat.member.id: {
        "respond": _link("panels.respond", f"/panels/{seat.member.id}", member_id=seat.member.id),
        "conflicts": _link("panels.conflicts", f"/panels/{seat.member.id}/conflicts", member_id=seat.member.id),
    } for seat in seats}
    return render_template("review/my_assignments.html", seats=seats, links=links,
                           done=sum(s.done for s in seats), total=sum(s.total for s in seats))


# The blind proposal and the score sheet -------------------------------------------------------

def stash_and_login(assignment_id: str) -> Response:
    """The sign-in (or the whole browser session) expired while a reviewer was
    scoring: keep what they sent, tied to this browser, and put it back in the
    form after they log in again."""
    verdict = limiter().hit(f"stash:addr:{client_address()}", 60, 3600)
    if not verdict.allowed:
        raise TooManyAttempts(verdict.retry_after)
    assignment = load(Assignment, assignment_id)
    browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(24)
    # A missing assignment gets the same answer as one that exists (a token
    # that keeps nothing): a logged-out visitor learns nothing from the address.
    target = url_for("review.assignment", assignment_id=assignment_id, stash=new_token())
    if assignment is not None:
        data = {name: value for name, value in request.form.items(multi=False)
                if name not in ("csrf_token", services.STASH_MARK) and isinstance(value, str)}
        if sum(len(v) for v in data.values()) > STASH_MAX_CHARS:
            data = {}
        token = services.stash_form(db.session, assignment, data, browser)
        target = url_for("review.assignment", assignment_id=assignment.id, stash=token)
    flash(_("Your session had expired. Log in again: what you typed is kept and will be put back "
            "in the form."), "info")
    response = redirect(url_for("accounts.login", next=target))
    _set_browser_cookie(response, browser)
    return response


keep_on_expiry(bp, "review.assignment", "assignment_id", stash_and_login)


def _render(assignment: Assignment, form: forms.ReviewForm | None, status: int = 200, conflict: bool = False,
            restored: bool = False) -> Any:
    call = assignment.proposal.call
    review = assignment.review
    see_opinion = permissions.can(current_user, "assignment:see_opinion", assignment)
    response = make_response(render_template(
        "review/assignment.html", assignment=assignment, call=call, criteria=list(call.criteria), plain=scoring.plain,
        version=services.blind_version(assignment), review=review, form=form, conflict=conflict,
        restored=restored, latest=review.versions[-1] if review is not None and review.versions else None,
        unsubmitted=services.unsubmitted_changes(review),
        opinion=services.opinion(db.session, assignment) if see_opinion else None), status)
    if form is not None and not request.cookies.get(BROWSER_COOKIE):
        _set_browser_cookie(response, secrets.token_urlsafe(24))
    return response


@bp.route("/review/<assignment_id>", methods=["GET", "POST"])
def assignment(assignment_id: str) -> Any:
    if not current_user.is_authenticated:
        if request.method == "POST":
            return stash_and_login(assignment_id)
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if request.method == "POST":
        return _score(load_or_404(Assignment, assignment_id, "assignment:score"))
    assignment = load_or_404(Assignment, assignment_id, "assignment:view")
    if not permissions.can(current_user, "assignment:score", assignment):
        return _render(assignment, None)
    criteria = list(assignment.proposal.call.criteria)
    stash = request.args.get("stash")
    data = services.take_stash(db.session, stash, request.cookies.get(BROWSER_COOKIE),
                               assignment) if stash else None
    if data is not None:
        return _render(assignment, forms.review_form(criteria, formdata=MultiDict(data)), restored=True)
    return _render(assignment, forms.review_form(criteria, assignment.review, services.current_lock(assignment)))


def _score(assignment: Assignment) -> Any:
    criteria = list(assignment.proposal.call.criteria)
    form = forms.review_form(criteria, formdata=request.form)
    if not form.validate_on_submit():
        return _render(assignment, form, 422)
    try:
        expected = int(form.lock_version.data or 0)
    except ValueError:
        expected = -1
    submitting = request.form.get("action") == "submit"
    arguments = (form.scores(criteria), form.reasons(criteria), form.comment.data or "", form.note.data or "",
                 expected)
    try:
        if submitting:
            version = services.submit(db.session, current_user, assignment, *arguments)
        else:
            services.save_draft(db.session, current_user, assignment, *arguments)
    except services.ReviewInvalid as error:
        for problem in error.problems:
            field = form[problem.field]
            field.errors = [*field.errors, str(problem.message)]
        return _render(assignment, form, 422)
    except (services.ReviewConflict, StaleDataError):
        db.session.rollback()
        assignment = load_or_404(Assignment, assignment.id, "assignment:score")
        flash(str(services.ReviewConflict().message), "error")
        form.lock_version.data = str(services.current_lock(assignment))
        return _render(assignment, form, 409, conflict=True)
    except DomainError as error:
        flash(str(error.message), "error")
        return _render(assignment, form, 422)
    if submitting:
        flash(_("Your review is submitted as version %(n)d, with a total of %(total)s out of 100. You can revise "
                "it until the review phase ends.", n=version.version_no, total=version.total), "success")
        return redirect(url_for("review.assignment", assignment_id=assignment.id, _anchor="submitted"))
    flash(_("Your draft is saved. It is not submitted yet."), "success")
    return redirect(url_for("review.assignment", assignment_id=assignment.id, _anchor="scoring"))


# Files ----------------------------------------------------------------------------------------

@bp.route("/review/<assignment_id>/files/<attachment_id>")
@login_required
def attachment(assignment_id: str, attachment_id: str) -> Any:
    assignment = load_or_404(Assignment, assignment_id, "assignment:view")
    found = services.blind_attachment(assignment, attachment_id)
    if found is None:
        raise NotFound()
    attachment, name = found
    kind = files.FileKind(attachment.kind)
    try:
        data = storage.read_cleaned(attachment.stored_name, attachment.kind, attachment.cleaner_version)
    except (OSError, files.UploadRejected):
        raise NotFound() from None  # never serve a file that could not be cleaned
    response = Response(data, mimetype=files.MIME_TYPES[kind])
    name = files.safe_filename(name)
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (f"attachment; filename=\"{ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(name)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
