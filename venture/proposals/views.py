from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, subqueryload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from werkzeug.exceptions import NotFound

from venture import permissions
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.ratelimit import TooManyAttempts, limiter
from venture.core.timeutil import utcnow
from venture.core.tokens import new_token
from venture.extensions import db
from venture.groups import services as groups
from venture.proposals import face, files, forms, services, stage, storage
from venture.proposals.models import Attachment, Proposal, ProposalVersion
from venture.web import client_address, load, load_or_404

bp = Blueprint("proposals", __name__)
BROWSER_COOKIE = "venture_browser"


def slot_title(call: Any, slot: str | None) -> str:
    """The call's title for a required attachment (the organizer's words, never the group's)."""
    return next((item.get("title", "") for item in call.required_attachments or [] if item.get("key") == slot), "")


bp.add_app_template_global(face.attachment_name, "attachment_name")
bp.add_app_template_global(slot_title, "slot_title")
STASH_MAX_CHARS = 400_000


# Dashboard ---------------------------------------------------------------------------------

@bp.route("/my/proposals")
@login_required
def mine() -> Any:
    group_ids = [g.id for g in groups.groups_of(db.session, current_user)]
    rows = db.session.scalars(select(Proposal).where(Proposal.group_id.in_(group_ids))
                              .options(joinedload(Proposal.call), joinedload(Proposal.group),
                                       subqueryload(Proposal.versions), subqueryload(Proposal.attachments))
                              .order_by(Proposal.updated_at.desc())).all() if group_ids else []
    now = utcnow()
    return render_template("proposals/mine.html", proposals=rows, now=now,
                           stages=_stages(rows, now),
                           problems_of=services.completeness, unsubmitted=services.has_unsubmitted_changes)


def _stages(rows: Any, now: Any) -> dict[int, stage.Stage]:
    """Each proposal's stage as its group sees it (see venture.proposals.stage)."""
    from venture.results.public import published_outcomes

    outcomes = published_outcomes(db.session, [p.call for p in rows])
    return {p.id: stage.applicant_stage(p.call.effective_phase(now), p.status, p.screening, outcomes.get(p.id))
            for p in rows}


# The editor ----------------------------------------------------------------------------------

def stash_and_login(proposal_id: str) -> Response:
    """The sign-in (or the whole session) expired while someone was typing:
    keep what they sent, tied to this browser, and give it back after log-in."""
    verdict = limiter().hit(f"stash:addr:{client_address()}", 60, 3600)
    if not verdict.allowed:
        raise TooManyAttempts(verdict.retry_after)
    proposal = load(Proposal, proposal_id)
    browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(24)
    # A missing proposal gets the same answer as one that exists (a token that
    # keeps nothing): a logged-out visitor learns nothing from the address.
    target = url_for("proposals.edit", proposal_id=proposal_id, stash=new_token())
    if proposal is not None:
        data = {name: value for name, value in request.form.items(multi=False) if name != "csrf_token"}
        data = {k: v for k, v in data.items() if isinstance(v, str)}
        if sum(len(v) for v in data.values()) > STASH_MAX_CHARS:
            data = {}
        token = services.stash_form(db.session, proposal.id, data, browser)
        target = url_for("proposals.edit", proposal_id=proposal.id, stash=token)
    flash(_("Your session had expired. Log in again: what you typed is kept and will be put back "
            "in the form."), "info")
    response = redirect(url_for("accounts.login", next=target))
    _set_browser_cookie(response, browser)
    return response


def _render_editor(proposal: Proposal, form: forms.ProposalForm, status: int = 200,
                   conflict: bool = False, restored: bool = False) -> Any:
    now = utcnow()
    where = _stages([proposal], now)[proposal.id]
    response = make_response(render_template("proposals/edit.html", proposal=proposal, call=proposal.call, form=form,
                           now=now, stage=where, steps=stage.timeline(proposal.call, proposal, where), conflict=conflict, restored=restored,
                           drafts_allowed=services.drafts_allowed(proposal.call, utcnow()),
                           problems=services.completeness(proposal),
                           unsubmitted=services.has_unsubmitted_changes(proposal)), status)
    if not request.cookies.get(BROWSER_COOKIE):
        _set_browser_cookie(response, secrets.token_urlsafe(24))
    return response


def _set_browser_cookie(response: Response, value: str) -> None:
    response.set_cookie(BROWSER_COOKIE, value, max_age=30 * 86400, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))


@bp.route("/proposals/<proposal_id>/edit", methods=["GET", "POST"])
def edit(proposal_id: str) -> Any:
    if not current_user.is_authenticated:
        if request.method == "POST":
            return stash_and_login(proposal_id)
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    proposal = load_or_404(Proposal, proposal_id, "proposal:edit")
    call = proposal.call
    if request.method == "GET":
        stash = request.args.get("stash")
        data = services.take_stash(db.session, stash, request.cookies.get(BROWSER_COOKIE),
                                   proposal.id) if stash else None
        if data is not None:
            form = forms.editor_form(call, proposal, formdata=MultiDict(data))
            return _render_editor(proposal, form, restored=True)
        return _render_editor(proposal, forms.editor_form(call, proposal))

    form = forms.editor_form(call, proposal, formdata=CombinedMultiDict([request.files, request.form]))
    if not form.validate_on_submit():
        return _render_editor(proposal, form, 422)
    try:
        expected = int(form.lock_version.data or 0)
    except ValueError:
        expected = 0
    try:
        services.save_draft(db.session, current_user, proposal, form.content(), expected)
        remove = request.form.get("remove_attachment")
        if remove:
            attachment = next((a for a in proposal.current_attachments if str(a.id) == remove), None)
            if attachment is not None:
                services.remove_attachment(db.session, current_user, attachment)
        for slot, field in form.file_fields():
            upload = field.data
            if upload is not None and getattr(upload, "filename", ""):
                try:
                    services.add_attachment(db.session, current_user, proposal, slot, upload.filename,
                                            upload.read(current_app.config["ATTACHMENT_MAX_BYTES"] + 1))
                except DomainError as error:
                    field.errors = [*field.errors, str(error.message)]
                    flash(_("Nothing was saved: a file could not be accepted. Your text is still in "
                            "the form; choose the file again."), "error")
                    return _render_editor(proposal, form, 422)
    except services.EditConflict:
        return _conflict(proposal, form)
    except StaleDataError:
        db.session.rollback()
        proposal = load_or_404(Proposal, proposal_id, "proposal:edit")
        return _conflict(proposal, form)
    except DomainError as error:
        flash(str(error.message), "error")
        return _render_editor(proposal, form, 409)
    if request.form.get("action") == "submit":
        return redirect(url_for("proposals.submit", proposal_id=proposal.id))
    flash(_("Your draft is saved."), "success")
    return redirect(url_for("proposals.edit", proposal_id=proposal.id))


def _conflict(proposal: Proposal, form: forms.ProposalForm) -> Any:
    db.session.refresh(proposal)
    flash(str(services.EditConflict(proposal).message), "error")
    form.lock_version.data = str(proposal.lock_version)
    return _render_editor(proposal, form, 409, conflict=True)


@bp.route("/proposals/<proposal_id>/autosave", methods=["POST"])
def autosave(proposal_id: str) -> Any:
    if not current_user.is_authenticated:
        return jsonify(status="login", message=_("Your session has expired. Your text is kept in this "
                                                 "browser; log in again in another tab, then save.")), 401
    proposal = load_or_404(Proposal, proposal_id, "proposal:edit")
    form = forms.editor_form(proposal.call, proposal, formdata=request.form)
    if not form.validate_on_submit():
        return jsonify(status="invalid", message=_("Some fields need attention; press Save to see them.")), 422
    try:
        services.save_draft(db.session, current_user, proposal, form.content(),
                            int(form.lock_version.data or 0))
    except (services.EditConflict, StaleDataError):
        return jsonify(status="conflict", message=_("Another member saved this proposal. Press Save to "
                                                    "see both versions.")), 409
    except (DomainError, ValueError) as error:
        return jsonify(status="refused", message=str(getattr(error, "message", error))), 409
    db.session.flush()
    return jsonify(status="saved", lock_version=proposal.lock_version,
                   message=_("Saved at %(time)s", time=_time_now()))


def _time_now() -> str:
    from venture.web import format_moment

    return format_moment(utcnow(), "short")


# Submission -----------------------------------------------------------------------------------

@bp.route("/proposals/<proposal_id>/submit", methods=["GET", "POST"])
@login_required
def submit(proposal_id: str) -> Any:
    proposal = load_or_404(Proposal, proposal_id, "proposal:edit")
    form = forms.SubmitForm()
    status = 200
    if form.validate_on_submit():
        try:
            version = services.submit(db.session, current_user, proposal,
                                      confirmed_warnings=bool(form.confirm_warnings.data))
        except DomainError as error:
            flash(str(error.message), "error")
            status = 422
        else:
            flash(_("Your proposal is submitted. Keep the receipt below."), "success")
            return redirect(url_for("proposals.receipt", proposal_id=proposal.id, version_no=version.version_no))
    now = utcnow()
    preview, public_files = _public_preview(proposal)
    return render_template("proposals/submit.html", proposal=proposal, call=proposal.call, form=form,
                           problems=services.submission_problems(proposal, now),
                           findings=services.leak_findings(proposal), now=now,
                           preview=preview, public_files=public_files,
                           accepting=proposal.call.is_accepting(now),
                           place_label=lambda place: _place_label(proposal, place), kind_label=_kind_label,
                           unsubmitted=services.has_unsubmitted_changes(proposal)), status


def _public_preview(proposal: Proposal) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bool]]]:
    """The public page as it will be published while review runs (the same
    face reviewers read), and the files marked public, each with whether it
    will be held back (it names the group or gives contact details)."""
    identity = services.identity_of(proposal.group)
    content = face.face_of_content(services.snapshot(proposal), identity, blind=True)
    marked = {a.id: a for a in proposal.current_attachments if a.is_public}
    files_shown = [(item, face.file_may_identify(marked[item["id"]], identity, blind=True))
                   for item in content["attachments"] if item["id"] in marked]
    return content, files_shown


def _place_label(proposal: Proposal, place: str) -> str:
    parts = place.split(":")
    if parts[0] == "title":
        return _("Title")
    if parts[0] == "summary":
        return _("Summary")
    if parts[0] == "section" and len(parts) > 1:
        return _("Section “%(title)s”", title=proposal.call.section_title(parts[1]))
    if parts[0] == "budget" and len(parts) > 1:
        return _("Budget line %(n)s", n=parts[1])
    if parts[0] == "attachment" and len(parts) > 2:
        name = next((a.filename for a in proposal.attachments if str(a.id) == parts[1]), "")
        where = {"name": _("file name"), "text": _("text"), "metadata": _("document properties")}.get(parts[2], "")
        return _("Attachment %(name)s (%(where)s)", name=name, where=where)
    return place


def _kind_label(kind: str) -> str:
    return {"group_name": _("group name"), "member_name": _("a member's name"), "phone": _("phone number"),
            "email": _("e-mail address"), "credit_code": _("credit code"), "id_number": _("ID-card number"),
            "handle": _("messaging account")}.get(kind, kind)


@bp.route("/proposals/<proposal_id>/withdraw", methods=["POST"])
@login_required
def withdraw(proposal_id: str) -> Any:
    proposal = load_or_404(Proposal, proposal_id, "proposal:edit")
    try:
        services.withdraw(db.session, current_user, proposal)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Your proposal is withdrawn. You can submit it again until the call closes."), "success")
    return redirect(url_for("proposals.mine"))


def _version(proposal_id: str, version_no: str) -> ProposalVersion:
    proposal = load_or_404(Proposal, proposal_id, "proposal:view_submitted")
    version = next((v for v in proposal.versions if str(v.version_no) == version_no), None)
    if version is None:
        raise NotFound()
    return version


@bp.route("/proposals/<proposal_id>/versions/<version_no>/receipt")
@login_required
def receipt(proposal_id: str, version_no: str) -> Any:
    version = _version(proposal_id, version_no)
    return render_template("proposals/receipt.html", version=version, proposal=version.proposal,
                           call=version.proposal.call)


@bp.route("/proposals/<proposal_id>/versions/<version_no>")
@login_required
def version(proposal_id: str, version_no: str) -> Any:
    version = _version(proposal_id, version_no)
    return render_template("proposals/version.html", version=version, proposal=version.proposal,
                           call=version.proposal.call)


# Files -----------------------------------------------------------------------------------------

@bp.route("/attachments/<attachment_id>")
def download(attachment_id: str) -> Any:
    attachment = load(Attachment, attachment_id)
    if attachment is None or not permissions.can(current_user, "attachment:download", attachment):
        # Logged out, a missing file and a private one both ask for the log-in;
        # logged in, both are missing (the rule is hidden).
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        raise NotFound()
    kind = files.FileKind(attachment.kind)
    try:
        # The group gets the cleaned file too: what it downloads is what everyone else reads.
        data = storage.read_cleaned(attachment.stored_name, attachment.kind, attachment.cleaner_version)
    except OSError:
        raise NotFound() from None
    except files.UploadRejected:
        if not permissions.can(current_user, "proposal:edit", attachment.proposal):
            raise NotFound() from None
        flash(_("“%(name)s” was stored before files were cleaned, and its author details cannot be removed, "
                "so nobody can download it. Remove it and upload it again.", name=attachment.filename), "error")
        return redirect(url_for("proposals.edit", proposal_id=attachment.proposal_id))
    proposal = attachment.proposal
    insider = (permissions.can(current_user, "proposal:edit", proposal)
               or permissions.can(current_user, "proposal:view_submitted", proposal))
    name = files.safe_filename(attachment.filename)
    if not insider:
        # The public gets it under its neutral name, as the public page lists it.
        from venture.showcase.visibility import public_version

        version = public_version(proposal)
        position = face.attachment_position(version, attachment.id) if version is not None else None
        if position is None:
            raise NotFound()
        name = face.attachment_name(position, attachment.kind)
    response = Response(data, mimetype=files.MIME_TYPES[kind])
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (f"attachment; filename=\"{ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(name)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response




@bp.route("/proposals/<proposal_id>/attachments/<attachment_id>/public", methods=["POST"])
@login_required
def attachment_visibility(proposal_id: str, attachment_id: str) -> Any:
    proposal = load_or_404(Proposal, proposal_id, "proposal:edit")
    attachment = next((a for a in proposal.attachments if str(a.id) == attachment_id), None)
    if attachment is None:
        raise NotFound()
    services.set_attachment_public(db.session, current_user, attachment, request.form.get("public") == "1")
    flash(_("The file is shown on the public page.") if attachment.is_public
          else _("The file is no longer shown on the public page."), "success")
    return redirect(url_for("proposals.edit", proposal_id=proposal.id, _anchor="attachments"))
