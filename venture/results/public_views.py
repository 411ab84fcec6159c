"""The public side of results: the results page with its charts and
exports, objections during the notice, and each group's reviewer feedback.

Everything here renders from the frozen result record and only from the
public notice on (see :mod:`venture.results.public`); before that, every
page and file answers 404, as if there were no result at all – there is
none in public.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from venture import permissions
from venture.calls.models import Call
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.ratelimit import TooManyAttempts
from venture.core.site import ROOT
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.panels import public as panels_public
from venture.proposals import files, storage
from venture.proposals.models import Proposal
from venture.results import charts, exports, feedback, objections, public
from venture.results.models import Objection, ObjectionStatus, ResultRecord, ResultStage
from venture.results.public_forms import AnswerForm, ObjectionForm
from venture.review import expertise
from venture.screening import services as screening
from venture.web import client_address, form_error, format_moment, format_money, load_or_404

bp = Blueprint("results_public", __name__)
# Kept in the repository and served as it is (see docs/REVIEW.md, "Checking a result from outside").
VERIFIER = ROOT / "tools" / "venture_verify.py"
# Up to this many counted reviews are listed on the results page itself; a city-wide call's thousands
# are on their page of their own (the results page stays light on a phone).
INLINE_REVIEWS = 1000


def _released(call_id: str, by_stage: bool = False) -> tuple[Call, ResultRecord]:
    """The call and the record the public sees, or 404 (the embargo). With
    ``by_stage``, ``?stage=proposed`` or ``?stage=final`` asks for one record
    by name: the proposed result stays public once the final one is out."""
    call = load_or_404(Call, call_id)
    stage = request.args.get("stage") if by_stage else None
    if stage is None:
        record = public.record_for(db.session, call)
    else:
        try:
            record = public.records_of(db.session, call).get(ResultStage(stage))
        except ValueError:
            raise NotFound() from None
    if record is None:
        raise NotFound()
    return call, record


# The results page and its files ------------------------------------------------------------

@bp.route("/calls/<call_id>/results")
def results(call_id: str) -> Any:
    call, record = _released(call_id, by_stage=True)
    content = public.public_content(record)
    listed = objections.public_list(db.session, call)
    return render_template(
        "results_public/results.html", call=call, record=record, content=content,
        charts=charts.result_charts(content, format_money), objections=listed,
        objection_numbers={o.id: o.number for o in listed}, printing=request.args.get("print") == "1",
        can_lodge=permissions.can(current_user, "objection:lodge", call), now=utcnow(),
        method=public.describe_method(content, format_money), labels=_labels(),
        records=public.records_of(db.session, call), reviewer_names=_reviewer_names(content),
        review_count=_review_count(content), inline_reviews=INLINE_REVIEWS)


@bp.route("/calls/<call_id>/results/reviews")
def reviews_page(call_id: str) -> Any:
    """Every counted review of the record (``?stage=`` as on the results page), on a page of its own."""
    call, record = _released(call_id, by_stage=True)
    content = public.public_content(record)
    return render_template("results_public/reviews.html", call=call, record=record, content=content,
                           reviewer_names=_reviewer_names(content), review_count=_review_count(content))


def _review_count(content: dict[str, Any]) -> int:
    return sum(len(line["review_scores"]) for line in content["lines"])


def _reviewer_names(content: dict[str, Any]) -> dict[str, str]:
    """Each reviewer letter of the record as people read it ("Reviewer A", 评审专家A), looked up once."""
    letters = {item["reviewer"] for line in content["lines"]
               for item in (*line["review_scores"], *line["reviews_not_counted"]) if item.get("reviewer")}
    return {letter: _("Reviewer %(letter)s", letter=letter) for letter in letters}


def _words(labels: dict[str, Any]) -> dict[str, str]:
    """Lazy labels translated once for the request, not once per line they are shown on."""
    return {key: str(label) for key, label in labels.items()}


def _labels() -> dict[str, Any]:
    """Words and helpers the results templates share."""
    categories = _words(screening.CATEGORIES)
    not_recorded = str(screening.NOT_RECORDED_LABEL)
    return {"outcome": _words(public.OUTCOME_LABELS), "note": _words(public.NOTE_LABELS),
            "change": _words(public.CHANGE_LABELS),
            "adjustment": lambda adjustment: exports.adjustment_text(adjustment, format_money),
            "final": public.final_score, "not_counted": _words(public.NOT_COUNTED_LABELS),
            "screening": _words(public.SCREENING_OUTCOME_LABELS),
            "category": lambda key: categories.get(key, not_recorded)}


def _moment(text: Any) -> str:
    """An ISO 8601 time from a record, for people (its exact text stays in the API and the exports)."""
    try:
        return format_moment(datetime.fromisoformat(str(text)), "medium")
    except (TypeError, ValueError):
        return str(text or "")


def _export(call_id: str, extension: str) -> Response:
    call, record = _released(call_id, by_stage=True)
    content = public.public_content(record)
    table = request.args.get("table", "lines")
    if extension == "csv":
        if table not in exports.TABLES:
            raise NotFound()
        data, mimetype = exports.to_csv(content, table, record), "text/csv; charset=utf-8"
    else:
        data = exports.to_xlsx(content, call.title, record)
        mimetype = files.MIME_TYPES[files.FileKind.XLSX]
    response = Response(data, mimetype=mimetype)
    name, fallback = exports.file_names(call.id, record.stage.value, extension, call.title,
                                        table if extension == "csv" else "lines")
    response.headers["Content-Disposition"] = exports.disposition(name, fallback)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/calls/<call_id>/results.csv")
def results_csv(call_id: str) -> Any:
    return _export(call_id, "csv")


@bp.route("/calls/<call_id>/results.xlsx")
def results_xlsx(call_id: str) -> Any:
    return _export(call_id, "xlsx")


@bp.route("/calls/<call_id>/draws")
def draws_page(call_id: str) -> Any:
    """Every panel draw of the call, from the notice on (404 before, like the result)."""
    call = load_or_404(Call, call_id)
    listed = panels_public.draws(db.session, call)
    if listed is None:
        raise NotFound()
    return render_template("results_public/draws.html", call=call, listed=listed, area_label=expertise.label,
                           moment=_moment)


@bp.route("/verify/venture_verify.py")
def verifier() -> Any:
    """The outsider's verifier: one Python file using the standard library only."""
    response = Response(VERIFIER.read_bytes(), mimetype="text/x-python")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="venture_verify.py"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# Objections -------------------------------------------------------------------------------------

def _objection_form(record: ResultRecord) -> ObjectionForm:
    form = ObjectionForm()
    form.set_lines(objections.line_choices(record))
    return form


def _render_objections(call: Call, record: ResultRecord, status: int = 200, form: ObjectionForm | None = None,
                       answer_forms: dict[int, AnswerForm] | None = None, too_many: str | None = None) -> Any:
    listed = objections.public_list(db.session, call)
    can_lodge = permissions.can(current_user, "objection:lodge", call)
    if can_lodge and form is None:
        form = _objection_form(record)
    answer_forms = dict(answer_forms or {})
    lodged = objections.of_call(db.session, call)
    # The call's rule behind objection:answer: asked once, not once per objection.
    answerable = {o.id: o for o in lodged} if permissions.can(current_user, "call:answer_objections", call) else {}
    recused = permissions.recused_groups(current_user, call) if answerable else frozenset()
    if recused:  # objection:answer: not against a proposal the organizer is recused from
        kept_from = set(db.session.scalars(select(Proposal.id).where(Proposal.call_id == call.id,
                                                                     Proposal.group_id.in_(sorted(recused)))))
        answerable = {i: o for i, o in answerable.items() if o.proposal_id not in kept_from}
    for objection_id, objection in answerable.items():
        if objection_id not in answer_forms:
            data = None
            if objection.answer:
                data = {"answer": objection.answer,
                        "upheld": "yes" if objection.status is ObjectionStatus.UPHELD else "no"}
            answer_forms[objection_id] = AnswerForm(prefix=f"answer-{objection_id}", formdata=None, data=data)
    return render_template("results_public/objections.html", call=call, record=record, objections=listed,
                           form=form if can_lodge else None, answer_forms=answer_forms, too_many=too_many,
                           now=utcnow()), status


@bp.route("/calls/<call_id>/objections")
def objections_page(call_id: str) -> Any:
    call, record = _released(call_id)
    return _render_objections(call, record)


@bp.route("/calls/<call_id>/objections", methods=["POST"])
@login_required
def lodge(call_id: str) -> Any:
    call, record = _released(call_id)
    permissions.require(current_user, "objection:lodge", call)
    form = _objection_form(record)
    if form.validate_on_submit():
        upload = form.attachment.data
        filename = getattr(upload, "filename", "") or ""
        data = upload.read(current_app.config["ATTACHMENT_MAX_BYTES"] + 1) if filename else None
        try:
            objections.check_rate(current_user, client_address())
            objection = objections.lodge(db.session, current_user, call, form.text.data, form.line.data or None,
                                         filename, data)
        except TooManyAttempts as error:
            minutes = max(1, (error.retry_after + 59) // 60)
            body, status = _render_objections(
                call, record, 429, form=form,
                too_many=_("You have lodged several objections in a short time. Wait %(minutes)d minutes, then "
                           "send it again. Your text is kept below.", minutes=minutes))
            return body, status, {"Retry-After": str(error.retry_after)}
        except DomainError as error:
            form_error(form, error)
        else:
            number = objections.number_of(db.session, objection)
            flash(_("Your objection is lodged as objection %(number)d. The organizer will answer it here, in "
                    "public.", number=number), "success")
            return redirect(url_for("results_public.objections_page", call_id=call.id,
                                    _anchor=f"objection-{number}"))
    return _render_objections(call, record, 422, form=form)


@bp.route("/calls/<call_id>/objections/<objection_id>/answer", methods=["POST"])
@login_required
def answer(call_id: str, objection_id: str) -> Any:
    call = load_or_404(Call, call_id)
    permissions.require(current_user, "call:manage", call)
    objection = load_or_404(Objection, objection_id)
    if objection.call_id != call.id:
        raise NotFound()
    permissions.require(current_user, "objection:answer", objection)
    record = public.record_for(db.session, call)
    if record is None:
        raise NotFound()
    form = AnswerForm(prefix=f"answer-{objection.id}")
    if form.validate_on_submit():
        try:
            objections.answer(db.session, current_user, objection, form.answer.data, form.upheld.data == "yes")
        except DomainError as error:
            form_error(form, error)
        else:
            number = objections.number_of(db.session, objection)
            flash(_("Objection %(number)d is answered; the answer is public.", number=number), "success")
            return redirect(url_for("results_public.objections_page", call_id=call.id,
                                    _anchor=f"objection-{number}"))
    return _render_objections(call, record, 422, answer_forms={objection.id: form})


@bp.route("/calls/<call_id>/objections/<objection_id>/file")
def objection_file(call_id: str, objection_id: str) -> Any:
    call, _record = _released(call_id)
    objection = load_or_404(Objection, objection_id)
    if objection.call_id != call.id or not objection.attachment_stored:
        raise NotFound()
    try:
        kind = files.FileKind(objection.attachment_kind)
        data = storage.read_cleaned(objection.attachment_stored, kind)
    except (OSError, ValueError, files.UploadRejected):
        raise NotFound() from None
    number = objections.number_of(db.session, objection)
    # Named by its number, not by the objector's own file name (which may name them).
    extension = sorted(files.EXTENSIONS[kind])[0]
    response = Response(data, mimetype=files.MIME_TYPES[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="objection-{call.id}-{number}{extension}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# The group's feedback --------------------------------------------------------------------------------

@bp.route("/proposals/<proposal_id>/feedback")
@login_required
def feedback_page(proposal_id: str) -> Any:
    proposal = load_or_404(Proposal, proposal_id, "proposal:feedback")
    call = proposal.call
    record = public.record_for(db.session, call)
    line = None
    content = None
    if record is not None:
        content = public.public_content(record)
        line = next((item for item in content["lines"] if item.get("proposal") == proposal.id), None)
    return render_template("results_public/feedback.html", proposal=proposal, call=call, line=line,
                           content=content, reviewers=feedback.for_proposal(db.session, proposal),
                           labels=_labels())
