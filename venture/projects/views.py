"""Pages of funded projects: the group's list and reports, the organizers'
per-call list, agreements, tranches and evaluations, and the evaluators' pages.

Every route loads and authorises in one step (``load_or_404`` with a rule
of ``venture.projects.access``), validates one form and calls one service.
The public disclosure page of a project (``/projects/<id>``) is not here.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import NotFound

from venture import permissions
from venture.bodies.models import OrganizingBody, PoolExpert
from venture.calls.models import Call, Phase
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.money import fen_to_yuan, yuan_to_fen
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups import services as groups
from venture.projects import evaluation as evaluations
from venture.projects import exports, forms, plans, services
from venture.projects.access import tied_groups
from venture.projects.models import (
    BudgetChange,
    Evaluation,
    EvaluationStage,
    Evaluator,
    FilePurpose,
    Milestone,
    MilestoneKind,
    ParticipationBar,
    Project,
    ReportFile,
    Tranche,
    TrancheCondition,
    TrancheStatus,
)
from venture.projects.rules import REPORT_SECTIONS, default_plan, plan_problems
from venture.proposals import files, storage
from venture.web import form_error, load_or_404

bp = Blueprint("projects", __name__)


@bp.app_template_global("project_plan")
def project_plan(call: Call) -> Any:
    """The plan a call publishes for the projects it funds (the defaults until one is saved)."""
    return plans.spec_for(db.session, call)


@bp.app_template_filter("plain_number")
def plain_number(value: Any) -> str:
    """A decimal without exponent or trailing zeros: 50, 33.5."""
    from decimal import Decimal

    text = format(Decimal(str(value)).normalize(), "f")
    return text


@bp.app_template_filter("iso_day")
def iso_day(value: str | None) -> str:
    """A date kept as ISO text (in an agreement's content) as the reader's language writes it."""
    from datetime import date

    from venture.core.formatting import format_day

    try:
        return format_day(date.fromisoformat(str(value))) if value else ""
    except ValueError:
        return str(value)


def _loaded(query: Any) -> Any:
    return query.options(joinedload(Project.call).joinedload(Call.body), joinedload(Project.group),
                         joinedload(Project.agreement), selectinload(Project.milestones),
                         selectinload(Project.tranches), selectinload(Project.evaluations),
                         selectinload(Project.budget_changes))


def _project(project_id: str, action: str) -> Project:
    return load_or_404(Project, project_id, action)


def _milestone(project: Project, milestone_id: str) -> Milestone:
    milestone = load_or_404(Milestone, milestone_id)
    if milestone.project_id != project.id:
        raise NotFound()
    return milestone


def _evaluation(project: Project, evaluation_id: str) -> Evaluation:
    found = load_or_404(Evaluation, evaluation_id)
    if found.project_id != project.id:
        raise NotFound()
    return found


def _back(project: Project, anchor: str | None = None) -> Response:
    return redirect(url_for("projects.overview", project_id=project.id, _anchor=anchor))


def _flash_error(error: DomainError) -> None:
    flash(str(error.message), "error")


# The call's plan ---------------------------------------------------------------------------------

@bp.route("/calls/<call_id>/project-plan", methods=["GET", "POST"])
@login_required
def plan(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    stored = plans.plan_of(db.session, call)
    current = plans.spec_of(stored) if stored is not None else default_plan(call.kind)
    editable = call.phase is Phase.DRAFT
    form = forms.PlanForm()
    if request.method == "GET":
        form.fill_from(current)
    elif not editable:
        flash(_("Once a call is open its plan for funded projects cannot change."), "error")
        return redirect(url_for("projects.plan", call_id=call.id))
    elif form.validate_on_submit():
        try:
            plans.save_plan(db.session, current_user, call, forms.keep_default_keys(form.spec(), current))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The plan for funded projects is saved. It is published with the call and fixed when the "
                    "call opens."), "success")
            return redirect(url_for("projects.plan", call_id=call.id))
    status = 422 if request.method == "POST" else 200
    return render_template("projects/plan.html", call=call, form=form, plan=current, stored=stored,
                           editable=editable, problems=plan_problems(current)), status


# The organizers' list ----------------------------------------------------------------------------

def _call_projects(call: Call) -> list[Project]:
    """The call's funded projects, without those of groups the organizer is recused from."""
    tied = tied_groups(current_user, call.body_id)
    return [project for project in db.session.scalars(
        _loaded(select(Project).where(Project.call_id == call.id)).order_by(Project.result_rank, Project.id)).unique()
        if project.group_id not in tied]


@bp.route("/calls/<call_id>/projects")
@login_required
def call_projects(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    now = utcnow()
    projects = _call_projects(call)
    summaries = [services.summary(p, now) for p in projects]
    return render_template("projects/call_projects.html", call=call, summaries=summaries, now=now,
                           bars=evaluations.bars_of(db.session, body_id=call.body_id))


@bp.route("/calls/<call_id>/projects.csv")
@login_required
def call_projects_csv(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    data = exports.to_csv(exports.table(_call_projects(call), utcnow()))
    return exports.response(data, "text/csv; charset=utf-8", call, "csv")


@bp.route("/calls/<call_id>/projects.xlsx")
@login_required
def call_projects_xlsx(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    data = exports.to_xlsx(exports.table(_call_projects(call), utcnow()), call.title)
    return exports.response(data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", call, "xlsx")


# The group's list ------------------------------------------------------------------------------

@bp.route("/my/projects")
@login_required
def mine() -> Any:
    now = utcnow()
    group_ids = [g.id for g in groups.groups_of(db.session, current_user)]
    projects = list(db.session.scalars(_loaded(select(Project).where(Project.group_id.in_(group_ids)))
                                       .order_by(Project.created_at.desc(), Project.id.desc())).unique()) \
        if group_ids else []
    return render_template("projects/mine.html", summaries=[services.summary(p, now) for p in projects], now=now,
                           bars=evaluations.bars_of(db.session, group_ids=group_ids))


# One project ------------------------------------------------------------------------------------

@bp.route("/projects/<project_id>/overview")
@login_required
def overview(project_id: str) -> Any:
    project = _project(project_id, "project:view")
    now = utcnow()
    issue_form = forms.IssueAgreementForm(formdata=None)
    issue_form.starts_on.data = services.local_today(project, now)
    return _render_overview(project, now, issue_form=issue_form)


def _render_overview(project: Project, now: Any, status: int = 200, **forms_given: Any) -> Any:
    return render_template(
        "projects/overview.html", project=project, now=now, s=services.summary(project, now),
        lines=services.budget_lines(project), condition_met=services.condition_met,
        condition_label=services.condition_label, overdue=services.is_overdue,
        deadline=services.milestone_deadline,
        issue_form=forms_given.get("issue_form") or forms.IssueAgreementForm(formdata=None),
        accept_form=forms_given.get("accept_form") or forms.AcceptAgreementForm(formdata=None),
        tranche_form=forms.TrancheForm(formdata=None), open_form=forms.OpenEvaluationForm(formdata=None),
        EvaluationStage=EvaluationStage, TrancheStatus=TrancheStatus, sections=dict(REPORT_SECTIONS),
        today=services.local_today(project, now).isoformat(),
        bar=db.session.scalar(select(ParticipationBar).where(ParticipationBar.project_id == project.id))), status


@bp.route("/projects/<project_id>/agreement")
@login_required
def agreement(project_id: str) -> Any:
    project = _project(project_id, "project:view")
    if project.agreement is None:
        raise NotFound()
    content = project.agreement.content
    reports = {r["key"]: r["title"] for r in content.get("reports") or []}
    return render_template("projects/agreement.html", project=project, agreement=project.agreement, content=content,
                           conditions={c.value: c.label for c in TrancheCondition}, reports=reports,
                           kinds={k.value: k.label for k in MilestoneKind},
                           accept_form=forms.AcceptAgreementForm(formdata=None))


@bp.route("/projects/<project_id>/agreement/issue", methods=["POST"])
@login_required
def issue_agreement(project_id: str) -> Any:
    project = _project(project_id, "project:manage")
    form = forms.IssueAgreementForm()
    if form.validate_on_submit():
        try:
            services.issue_agreement(db.session, current_user, project, form.starts_on.data, form.terms.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The agreement is issued; the group's owners are told by e-mail."), "success")
            return _back(project, "agreement")
    return _render_overview(project, utcnow(), 422, issue_form=form)


@bp.route("/projects/<project_id>/agreement/accept", methods=["POST"])
@login_required
def accept_agreement(project_id: str) -> Any:
    project = _project(project_id, "project:accept_agreement")
    form = forms.AcceptAgreementForm()
    if form.validate_on_submit():
        try:
            services.accept_agreement(db.session, current_user, project)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("You have accepted the agreement for %(group)s. The project is under way.",
                    group=project.group.name), "success")
            return _back(project, "agreement")
    return _render_overview(project, utcnow(), 422, accept_form=form)


# Reports --------------------------------------------------------------------------------------

def _report_form(milestone: Milestone, formdata: Any = None) -> Any:
    form_class = forms.report_form(len(milestone.project.budget))
    form = form_class(formdata=formdata) if formdata is not None else form_class(formdata=None)
    if formdata is None:
        report = milestone.report
        form.lock_version.data = str(report.lock_version) if report is not None else "1"
        if report is not None:
            form.activities.data = report.activities
            form.activities_held.data = report.activities_held
            form.beneficiaries_served.data = report.beneficiaries_served
            form.team.data = report.team
            form.private_note.data = report.private_note
            for index, entry in enumerate(form.spending.entries):
                spent = (report.spending or {}).get(str(index))
                entry.data = None if spent is None else fen_to_yuan(spent)
    return form


def _render_report(project: Project, milestone: Milestone, form: Any, status: int = 200,
                   file_form: Any = None) -> Any:
    file_form = file_form or forms.ReportFileForm(formdata=None)
    file_form.budget_line.choices = [(line["index"], line["item"]) for line in services.budget_lines(project)]
    return render_template("projects/report.html", project=project, milestone=milestone, form=form,
                           file_form=file_form, lines=services.budget_lines(project), sections=dict(REPORT_SECTIONS),
                           problems=services.report_problems(milestone) if milestone.report else [],
                           can_file=permissions.can(current_user, "project:report", project)
                           and milestone.is_open_for_filing, now=utcnow(),
                           overdue=services.is_overdue(milestone, utcnow()),
                           deadline=services.milestone_deadline(milestone)), status


@bp.route("/projects/<project_id>/reports/<milestone_id>", methods=["GET", "POST"])
@login_required
def report(project_id: str, milestone_id: str) -> Any:
    project = _project(project_id, "project:report")
    milestone = _milestone(project, milestone_id)
    if request.method == "GET":
        return _render_report(project, milestone, _report_form(milestone))
    form = _report_form(milestone, request.form)
    if not form.validate_on_submit():
        return _render_report(project, milestone, form, 422)
    content = services.ReportContent(
        activities=form.activities.data or "", activities_held=form.activities_held.data,
        beneficiaries_served=form.beneficiaries_served.data, team=form.team.data or "",
        spending=forms.spending_of(form), private_note=form.private_note.data or "")
    try:
        expected = int(form.lock_version.data or 0)
    except ValueError:
        expected = -1
    try:
        saved = services.save_report(db.session, current_user, milestone, content, expected)
    except DomainError as error:
        form_error(form, error)
        return _render_report(project, milestone, form, 422)
    form.lock_version.data = str(saved.lock_version)
    if form.action.data != "submit":
        flash(_("The report is saved. Submit it when it is complete."), "success")
        return redirect(url_for("projects.report", project_id=project.id, milestone_id=milestone.id))
    try:
        services.submit_report(db.session, current_user, milestone)
    except DomainError as error:
        # The text is saved (this request commits); only the submission waits for what is missing.
        form_error(form, error)
        flash(_("Your changes are saved, but the report is not submitted yet."), "info")
        return _render_report(project, milestone, form)
    flash(_("The report is submitted. The organizers will accept it or ask for changes."), "success")
    return _back(project, f"milestone-{milestone.id}")


@bp.route("/projects/<project_id>/reports/<milestone_id>/files", methods=["POST"])
@login_required
def add_file(project_id: str, milestone_id: str) -> Any:
    project = _project(project_id, "project:report")
    milestone = _milestone(project, milestone_id)
    form = forms.ReportFileForm()
    form.budget_line.choices = [(line["index"], line["item"]) for line in services.budget_lines(project)]
    upload = request.files.get("file")
    if form.validate_on_submit():
        if upload is None or not upload.filename:
            form.file.errors = [_("Choose a file.")]
        else:
            try:
                services.add_report_file(db.session, current_user, milestone, FilePurpose(form.purpose.data),
                                         upload.filename, upload.read(),
                                         budget_line=form.budget_line.data, public=bool(form.public.data))
            except (DomainError, ValueError) as error:
                form.file.errors = [str(getattr(error, "message", _("Choose what the file is.")))]
            else:
                flash(_("The file is attached, without its author and location details."), "success")
                return redirect(url_for("projects.report", project_id=project.id, milestone_id=milestone.id,
                                        _anchor="files"))
    return _render_report(project, milestone, _report_form(milestone), 422, file_form=form)


def _report_file(project: Project, milestone: Milestone, file_id: str) -> ReportFile:
    found = load_or_404(ReportFile, file_id)
    if found.milestone_id != milestone.id:
        raise NotFound()
    return found


@bp.route("/projects/<project_id>/reports/<milestone_id>/files/<file_id>/remove", methods=["POST"])
@login_required
def remove_file(project_id: str, milestone_id: str, file_id: str) -> Any:
    project = _project(project_id, "project:report")
    milestone = _milestone(project, milestone_id)
    found = _report_file(project, milestone, file_id)
    try:
        services.remove_report_file(db.session, current_user, found)
    except DomainError as error:
        _flash_error(error)
    else:
        flash(_("The file is removed from the report."), "success")
    return redirect(url_for("projects.report", project_id=project.id, milestone_id=milestone.id, _anchor="files"))


@bp.route("/projects/<project_id>/reports/<milestone_id>/files/<file_id>/public", methods=["POST"])
@login_required
def file_visibility(project_id: str, milestone_id: str, file_id: str) -> Any:
    project = _project(project_id, "project:report")
    milestone = _milestone(project, milestone_id)
    found = _report_file(project, milestone, file_id)
    try:
        services.set_report_file_public(db.session, current_user, found, request.form.get("public") == "1")
    except DomainError as error:
        _flash_error(error)
    else:
        flash(_("The file may be shown in public once the report is accepted.") if found.is_public
              else _("The file stays private."), "success")
    return redirect(url_for("projects.report", project_id=project.id, milestone_id=milestone.id, _anchor="files"))


@bp.route("/project-files/<file_id>")
@login_required
def download(file_id: str) -> Any:
    found = load_or_404(ReportFile, file_id, "report_file:download")
    try:
        kind = files.FileKind(found.kind)
        data = storage.read(found.stored_name)
    except (OSError, ValueError):
        raise NotFound() from None
    from urllib.parse import quote

    name = files.safe_filename(found.filename)
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response = Response(data, mimetype=files.MIME_TYPES[kind])
    response.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/projects/<project_id>/reports/<milestone_id>/versions/<version_no>")
@login_required
def version(project_id: str, milestone_id: str, version_no: str) -> Any:
    project = load_or_404(Project, project_id)
    milestone = _milestone(project, milestone_id)
    permissions.require(current_user, "report:read", milestone)
    return _render_version(project, milestone, version_no)


def _render_version(project: Project, milestone: Milestone, version_no: Any, status: int = 200,
                    review_form: Any = None) -> Any:
    try:
        number = int(version_no)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = next((v for v in milestone.versions if v.version_no == number), None)
    if found is None:
        raise NotFound()
    files_by_id = {f.id: f for f in milestone.files}
    return render_template("projects/version.html", project=project, milestone=milestone, version=found,
                           content=found.content, files_by_id=files_by_id, sections=dict(REPORT_SECTIONS),
                           review_form=review_form or forms.ReviewReportForm(formdata=None),
                           latest=found is milestone.latest_version), status


@bp.route("/projects/<project_id>/reports/<milestone_id>/review", methods=["POST"])
@login_required
def review(project_id: str, milestone_id: str) -> Any:
    project = _project(project_id, "project:manage")
    milestone = _milestone(project, milestone_id)
    form = forms.ReviewReportForm()
    if form.validate_on_submit():
        try:
            services.review_report(db.session, current_user, milestone, form.decision.data == "accept",
                                   form.flagged.data or [], form.note.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The report is accepted; the group is told.") if form.decision.data == "accept"
                  else _("The report is sent back with the sections to change; the group is told."), "success")
            return _back(project, f"milestone-{milestone.id}")
    if milestone.latest_version is None:
        raise NotFound()
    return _render_version(project, milestone, milestone.latest_version.version_no, 422, review_form=form)


# Budget changes --------------------------------------------------------------------------------

def _render_budget(project: Project, form: Any = None, status: int = 200, decide_form: Any = None) -> Any:
    lines = services.budget_lines(project)
    form = form or forms.BudgetChangeForm(formdata=None)
    form.from_line.choices = form.to_line.choices = [(line["index"], line["item"]) for line in lines]
    return render_template("projects/budget.html", project=project, lines=lines, form=form,
                           decide_form=decide_form or forms.DecideBudgetChangeForm(formdata=None),
                           threshold=services.threshold_of(project)), status


@bp.route("/projects/<project_id>/budget")
@login_required
def budget(project_id: str) -> Any:
    return _render_budget(_project(project_id, "project:view"))


@bp.route("/projects/<project_id>/budget/changes", methods=["POST"])
@login_required
def request_budget_change(project_id: str) -> Any:
    project = _project(project_id, "project:report")
    form = forms.BudgetChangeForm()
    form.from_line.choices = form.to_line.choices = [(line["index"], line["item"])
                                                     for line in services.budget_lines(project)]
    if form.validate_on_submit():
        try:
            change = services.request_budget_change(db.session, current_user, project, form.from_line.data,
                                                    form.to_line.data, yuan_to_fen(form.amount.data),
                                                    form.reason.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            flash(change.status.label, "success")
            return redirect(url_for("projects.budget", project_id=project.id))
    return _render_budget(project, form, 422)


@bp.route("/projects/<project_id>/budget/changes/<change_id>", methods=["POST"])
@login_required
def decide_budget(project_id: str, change_id: str) -> Any:
    project = _project(project_id, "project:manage")
    change = load_or_404(BudgetChange, change_id)
    if change.project_id != project.id:
        raise NotFound()
    form = forms.DecideBudgetChangeForm()
    if form.validate_on_submit():
        try:
            services.decide_budget_change(db.session, current_user, change, form.decision.data == "approve",
                                          form.note.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            flash(change.status.label, "success")
            return redirect(url_for("projects.budget", project_id=project.id))
    return _render_budget(project, None, 422, decide_form=form)


# Tranches ---------------------------------------------------------------------------------------

@bp.route("/projects/<project_id>/tranches/<tranche_id>", methods=["POST"])
@login_required
def move_tranche(project_id: str, tranche_id: str) -> Any:
    project = _project(project_id, "project:manage")
    tranche = load_or_404(Tranche, tranche_id)
    if tranche.project_id != project.id:
        raise NotFound()
    form = forms.TrancheForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return _back(project, f"tranche-{tranche.id}")
    to = TrancheStatus(forms.TRANCHE_ACTIONS[form.action.data])
    try:
        services.move_tranche(db.session, current_user, tranche, to, reason=form.reason.data or "",
                              paid_on=form.paid_on.data,
                              paid_fen=yuan_to_fen(form.paid_amount.data) if form.paid_amount.data is not None
                              else None, reference=form.reference.data or "")
    except DomainError as error:
        _flash_error(error)
    else:
        flash(_("%(tranche)s: %(status)s.", tranche=tranche.label, status=tranche.status.label), "success")
    return _back(project, f"tranche-{tranche.id}")


# Evaluations --------------------------------------------------------------------------------

@bp.route("/projects/<project_id>/evaluations", methods=["POST"])
@login_required
def open_evaluation(project_id: str) -> Any:
    project = _project(project_id, "project:manage")
    form = forms.OpenEvaluationForm()
    if form.validate_on_submit() and form.stage.data in {s.value for s in EvaluationStage}:
        try:
            found = evaluations.open_evaluation(db.session, current_user, project, EvaluationStage(form.stage.data),
                                                form.due_on.data)
        except DomainError as error:
            _flash_error(error)
        else:
            flash(_("The %(stage)s is open. Invite evaluators, or score it yourself.",
                    stage=found.stage.label.lower()), "success")
            return redirect(url_for("projects.evaluation", project_id=project.id, evaluation_id=found.id))
    else:
        flash(_("Choose a date in the form 2026-06-30, or leave it empty."), "error")
    return _back(project, "evaluations")


def _render_evaluation(project: Project, found: Evaluation, status: int = 200, **given: Any) -> Any:
    manage = permissions.can(current_user, "project:manage", project)
    experts = []
    invite_form = given.get("invite_form") or forms.InviteEvaluatorForm(formdata=None)
    if manage:
        taken = {e.user_id for e in found.evaluators}
        experts = [x for x in db.session.scalars(select(PoolExpert).where(PoolExpert.body_id == project.call.body_id)
                                                 .options(joinedload(PoolExpert.user)).order_by(PoolExpert.id))
                   if x.user_id not in taken and not x.user.is_deleted]
        invite_form.expert.choices = [(x.id, x.user.public_name) for x in experts]
    satisfaction_form = given.get("satisfaction_form") or forms.SatisfactionForm(formdata=None)
    if satisfaction_form.value.data is None and found.satisfaction_value is not None:
        satisfaction_form.value.data = found.satisfaction_value
        satisfaction_form.note.data = found.satisfaction_note
    return render_template(
        "projects/evaluation.html", project=project, evaluation=found, manage=manage, experts=experts,
        invite_form=invite_form, satisfaction_form=satisfaction_form,
        finalise_form=given.get("finalise_form") or forms.FinaliseForm(formdata=None),
        conflict_form=forms.EvaluatorConflictForm(formdata=None), preview=evaluations.preview(found),
        outstanding=evaluations.outstanding(found), labels=evaluations.labels(found),
        is_organizer_evaluator=any(e.user_id == current_user.id for e in found.evaluators)), status


@bp.route("/projects/<project_id>/evaluations/<evaluation_id>")
@login_required
def evaluation(project_id: str, evaluation_id: str) -> Any:
    project = _project(project_id, "project:view")
    return _render_evaluation(project, _evaluation(project, evaluation_id))


@bp.route("/projects/<project_id>/evaluations/<evaluation_id>/evaluators", methods=["POST"])
@login_required
def invite_evaluator(project_id: str, evaluation_id: str) -> Any:
    project = _project(project_id, "project:manage")
    found = _evaluation(project, evaluation_id)
    form = forms.InviteEvaluatorForm()
    if form.validate_on_submit():
        expert = db.session.get(PoolExpert, form.expert.data) if form.expert.data else None
        if expert is None or expert.body_id != project.call.body_id:
            form.expert.errors = [_("Choose an expert from this body's pool.")]
        else:
            try:
                evaluations.invite_expert(db.session, current_user, found, expert, form.organisation.data or "")
            except DomainError as error:
                form_error(form, error)
            else:
                flash(_("%(name)s is invited by e-mail.", name=expert.user.public_name), "success")
                return redirect(url_for("projects.evaluation", project_id=project.id, evaluation_id=found.id))
    return _render_evaluation(project, found, 422, invite_form=form)


@bp.route("/projects/<project_id>/evaluations/<evaluation_id>/score-myself", methods=["POST"])
@login_required
def score_myself(project_id: str, evaluation_id: str) -> Any:
    project = _project(project_id, "project:manage")
    found = _evaluation(project, evaluation_id)
    try:
        evaluator = evaluations.add_organizer(db.session, current_user, found)
    except DomainError as error:
        _flash_error(error)
        return redirect(url_for("projects.evaluation", project_id=project.id, evaluation_id=found.id))
    return redirect(url_for("projects.evaluator", evaluator_id=evaluator.id))


@bp.route("/projects/<project_id>/evaluations/<evaluation_id>/conflict", methods=["POST"])
@login_required
def evaluator_conflict(project_id: str, evaluation_id: str) -> Any:
    project = _project(project_id, "project:manage")
    found = _evaluation(project, evaluation_id)
    form = forms.EvaluatorConflictForm()
    target = next((e for e in found.evaluators if str(e.id) == (form.evaluator.data or "")), None)
    if form.validate_on_submit() and target is not None:
        try:
            evaluations.add_conflict(db.session, current_user, target, form.reason.data or "")
        except DomainError as error:
            _flash_error(error)
        else:
            flash(_("The conflict is recorded; this evaluator's sheet does not count."), "success")
    else:
        flash(_("Choose an evaluator and give the reason."), "error")
    return redirect(url_for("projects.evaluation", project_id=project.id, evaluation_id=found.id))


@bp.route("/projects/<project_id>/evaluations/<evaluation_id>/satisfaction", methods=["POST"])
@login_required
def satisfaction(project_id: str, evaluation_id: str) -> Any:
    project = _project(project_id, "project:manage")
    found = _evaluation(project, evaluation_id)
    form = forms.SatisfactionForm()
    if form.validate_on_submit():
        try:
            evaluations.set_satisfaction(db.session, current_user, found, form.value.data, form.note.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The satisfaction component is saved."), "success")
            return redirect(url_for("projects.evaluation", project_id=project.id, evaluation_id=found.id))
    return _render_evaluation(project, found, 422, satisfaction_form=form)


@bp.route("/projects/<project_id>/evaluations/<evaluation_id>/finalise", methods=["POST"])
@login_required
def finalise(project_id: str, evaluation_id: str) -> Any:
    project = _project(project_id, "project:manage")
    found = _evaluation(project, evaluation_id)
    form = forms.FinaliseForm()
    if form.validate_on_submit():
        try:
            evaluations.finalise(db.session, current_user, found, confirm_incomplete=bool(form.confirm_incomplete.data))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The %(stage)s is finalised: %(score)s points, %(band)s. The group is told.",
                    stage=found.stage.label.lower(), score=format(found.score, "f"), band=found.band.label),
                  "success")
            return redirect(url_for("projects.evaluation", project_id=project.id, evaluation_id=found.id))
    return _render_evaluation(project, found, 422, finalise_form=form)


# The evaluators' pages ---------------------------------------------------------------------------

@bp.route("/evaluations/")
@login_required
def my_evaluations() -> Any:
    rows = list(db.session.scalars(
        select(Evaluator).where(Evaluator.user_id == current_user.id)
        .options(joinedload(Evaluator.evaluation).joinedload(Evaluation.project).joinedload(Project.group))
        .order_by(Evaluator.invited_at.desc(), Evaluator.id.desc())))
    return render_template("projects/my_evaluations.html", rows=rows)


def _render_evaluator(evaluator: Evaluator, status: int = 200, sheet: Any = None, declare_form: Any = None) -> Any:
    found = evaluator.evaluation
    project = found.project
    form_class = forms.sheet_form(found.dimensions)
    if sheet is None:
        sheet = form_class(formdata=None)
        for dimension in found.dimensions:
            getattr(sheet, f"score_{dimension['key']}").data = evaluator.scores.get(dimension["key"], "")
            getattr(sheet, f"reason_{dimension['key']}").data = evaluator.reasons.get(dimension["key"], "")
    accepted = [m for m in project.milestones if m.accepted_version is not None]
    return render_template("projects/evaluator.html", evaluator=evaluator, evaluation=found, project=project,
                           sheet=sheet, declare_form=declare_form or forms.DeclareForm(formdata=None),
                           respond_form=forms.RespondForm(formdata=None), accepted=accepted,
                           lines=services.budget_lines(project)), status


@bp.route("/evaluations/<evaluator_id>")
@login_required
def evaluator(evaluator_id: str) -> Any:
    return _render_evaluator(load_or_404(Evaluator, evaluator_id, "evaluator:view"))


@bp.route("/evaluations/<evaluator_id>/respond", methods=["POST"])
@login_required
def respond(evaluator_id: str) -> Any:
    found = load_or_404(Evaluator, evaluator_id, "evaluator:respond")
    form = forms.RespondForm()
    if form.validate_on_submit() and form.answer.data in ("accept", "decline"):
        try:
            evaluations.respond(db.session, current_user, found, form.answer.data == "accept")
        except DomainError as error:
            _flash_error(error)
        else:
            flash(_("Thank you. Next, say whether you have a tie with the group.") if form.answer.data == "accept"
                  else _("You have declined; the organizers are not asking again."), "success")
    return redirect(url_for("projects.evaluator", evaluator_id=found.id))


@bp.route("/evaluations/<evaluator_id>/declare", methods=["POST"])
@login_required
def declare(evaluator_id: str) -> Any:
    found = load_or_404(Evaluator, evaluator_id, "evaluator:declare")
    form = forms.DeclareForm()
    if form.validate_on_submit():
        try:
            evaluations.declare(db.session, current_user, found, form.tie.data == "yes", form.reason.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Your declaration is recorded.") if not found.conflicted
                  else _("Your tie is recorded: you will not score this evaluation."), "success")
            return redirect(url_for("projects.evaluator", evaluator_id=found.id))
    return _render_evaluator(found, 422, declare_form=form)


@bp.route("/evaluations/<evaluator_id>/sheet", methods=["POST"])
@login_required
def sheet(evaluator_id: str) -> Any:
    found = load_or_404(Evaluator, evaluator_id, "evaluator:score")
    form = forms.sheet_form(found.evaluation.dimensions)()
    if form.validate_on_submit():
        keys = [d["key"] for d in found.evaluation.dimensions]
        try:
            evaluations.save_sheet(db.session, current_user, found,
                                   {k: getattr(form, f"score_{k}").data or "" for k in keys},
                                   {k: getattr(form, f"reason_{k}").data or "" for k in keys},
                                   submit=form.action.data == "submit")
        except evaluations.SheetProblems as problems:
            for name, message in problems.errors.items():
                field = getattr(form, name.replace("-", "_"), None)
                if field is not None:
                    field.errors = [*field.errors, str(message)]
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Your scores are submitted. You may change them until the organizers finalise the "
                    "evaluation.") if form.action.data == "submit" else _("Your draft is saved."), "success")
            return redirect(url_for("projects.evaluator", evaluator_id=found.id))
    return _render_evaluator(found, 422, sheet=form)


# Bars ----------------------------------------------------------------------------------------------

@bp.route("/bodies/<body_id>/bars")
@login_required
def body_bars(body_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "body:manage_calls")
    return render_template("projects/bars.html", body=body, bars=evaluations.bars_of(db.session, body_id=body.id),
                           now=utcnow(), lift_form=forms.LiftBarForm(formdata=None))


@bp.route("/bars/<bar_id>/lift", methods=["POST"])
@login_required
def lift_bar(bar_id: str) -> Any:
    bar = load_or_404(ParticipationBar, bar_id, "bar:lift")
    form = forms.LiftBarForm()
    if form.validate_on_submit():
        try:
            evaluations.lift_bar(db.session, current_user, bar, form.reason.data or "")
        except DomainError as error:
            _flash_error(error)
        else:
            flash(_("The bar is lifted; %(group)s may apply to this body's calls again.", group=bar.group.name),
                  "success")
    return redirect(url_for("projects.body_bars", body_id=bar.body_id))
