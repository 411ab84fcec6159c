"""The organizers' deliberation page: the result as the method computes it,
with every number explained, and the moves that publish it.

Everything here is guarded by call:deliberate: the call's organizers (before
the notice opens nothing of the result is shown anywhere else: the embargo),
but not one recused from a proposal of the call (回避), since every line is
ranked against the others; they are told another organizer must deliberate.
Organizers see the reviewers' names (they know their panel); nobody else
reaches this page.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from venture import permissions
from venture.calls.models import Call, Phase
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.money import yuan_to_fen
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.panels import recusal
from venture.proposals.models import Proposal
from venture.results import forms
from venture.results import services as results
from venture.results.models import Objection, ResultRecord, ResultStage
from venture.web import form_error, load_or_404

bp = Blueprint("results", __name__)


def _call(call_id: str) -> Call:
    call = load_or_404(Call, call_id, "call:manage")
    if call.phase not in results.DELIBERATION_PHASES:
        raise NotFound()
    permissions.require(current_user, "call:deliberate", call)
    return call


def _line(call: Call, proposal_id: str) -> Proposal:
    proposal = load_or_404(Proposal, proposal_id)
    if proposal.call_id != call.id:
        raise NotFound()
    permissions.require(current_user, "proposal:oversee", proposal)
    return proposal


def _objection(call: Call, raw: str | None) -> Objection | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        key = int(raw)
    except ValueError:
        return None
    objection = db.session.get(Objection, key)
    return objection if objection is not None and objection.call_id == call.id else None


def _page(call: Call, status: int = 200, failed: Mapping[str, Any] | None = None,
          open_form: FlaskForm | None = None, reasons: Mapping[str, str] | None = None) -> Any:
    now = utcnow()
    computation = results.compute(db.session, call, now)
    records = {r.stage: r for r in db.session.scalars(select(ResultRecord).where(ResultRecord.call_id == call.id))}
    proposed = records.get(ResultStage.PROPOSED)
    changes: list[results.Change] = []
    if call.phase is Phase.NOTICE and proposed is not None:
        current = results.record_content(db.session, call, computation, ResultStage.FINAL)
        changes = results.changes_since(proposed.content, current)
    names = results.member_names(db.session, call)
    criteria = list(call.criteria)
    return render_template(
        "results/deliberation.html", call=call, now=now, c=computation, names=names, criteria=criteria,
        tie=results.tie_criterion(call), records=records, changes=changes,
        changed_proposals=sorted({ch.proposal for ch in changes}),
        upheld=results.upheld_objections(db.session, call) if call.phase is Phase.NOTICE else {},
        open_objections=results.open_objection_count(db.session, call) if call.phase is Phase.NOTICE else 0,
        notice_over=call.notice_ends_at is not None and now >= call.notice_ends_at,
        outcome_label=results.outcome_label, note_labels=results.NOTE_LABELS,
        set_aside=results.set_aside_reviews(db.session, call), set_aside_labels=results.SET_ASIDE_LABELS,
        component_form=forms.ComponentForm(formdata=None), adjust_form=forms.AdjustForm(formdata=None),
        open_form=open_form or forms.OpenNoticeForm(formdata=None), failed=failed or {},
        reasons=reasons or {},
        scores_by_key={(r.score.reviewer, r.score.proposal): r.score.criteria for r in computation.reviews},
        counted=computation.counted), status


@bp.route("/calls/<call_id>/deliberation")
@login_required
def deliberation(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    if call.phase not in results.DELIBERATION_PHASES:
        raise NotFound()
    if not permissions.can(current_user, "call:deliberate", call):
        return render_template("results/recused.html", call=call,
                               recused=recusal.for_page(db.session, current_user, call)), 403
    return _page(call)


def _back(call: Call, anchor: str = "") -> Any:
    return redirect(url_for("results.deliberation", call_id=call.id) + (f"#{anchor}" if anchor else ""))


@bp.route("/calls/<call_id>/deliberation/<proposal_id>/component", methods=["POST"])
@login_required
def component(call_id: str, proposal_id: str) -> Any:
    call = _call(call_id)
    proposal = _line(call, proposal_id)
    form = forms.ComponentForm()
    if form.validate_on_submit():
        try:
            results.set_component(db.session, current_user, proposal, form.value.data, form.note.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The component score of %(number)s is saved.", number=proposal.number), "success")
            return _back(call, f"line-{proposal.id}")
    return _page(call, 422, failed={"kind": "component", "proposal": proposal.id, "form": form})


@bp.route("/calls/<call_id>/deliberation/<proposal_id>/adjust", methods=["POST"])
@login_required
def adjust(call_id: str, proposal_id: str) -> Any:
    call = _call(call_id)
    proposal = _line(call, proposal_id)
    form = forms.AdjustForm()
    if form.validate_on_submit():
        amount = None if form.amount.data is None else yuan_to_fen(form.amount.data)
        try:
            results.adjust(db.session, current_user, proposal, amount, bool(form.set_aside.data),
                           form.reason.data or "", _objection(call, form.objection.data))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The change to %(number)s is saved.", number=proposal.number), "success")
            return _back(call, f"line-{proposal.id}")
    return _page(call, 422, failed={"kind": "adjust", "proposal": proposal.id, "form": form})


@bp.route("/calls/<call_id>/deliberation/<proposal_id>/clear", methods=["POST"])
@login_required
def clear(call_id: str, proposal_id: str) -> Any:
    call = _call(call_id)
    proposal = _line(call, proposal_id)
    form = forms.ClearForm()
    if form.validate_on_submit():
        try:
            results.clear_adjustment(db.session, current_user, proposal, _objection(call, form.objection.data))
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("%(number)s is back to its request.", number=proposal.number), "success")
            return _back(call, f"line-{proposal.id}")
    return _page(call, 422)


@bp.route("/calls/<call_id>/deliberation/open-notice", methods=["POST"])
@login_required
def open_notice(call_id: str) -> Any:
    call = _call(call_id)
    form = forms.OpenNoticeForm()
    if form.validate_on_submit():
        try:
            results.open_notice(db.session, current_user, call, bool(form.confirm_incomplete.data))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The public notice is open until %(when)s. The proposed result is public, with the groups' "
                    "names.", when=_when(call)), "success")
            return _back(call)
    return _page(call, 422, open_form=form)


@bp.route("/calls/<call_id>/deliberation/finalise", methods=["POST"])
@login_required
def finalise(call_id: str) -> Any:
    call = _call(call_id)
    form = forms.FinaliseForm()
    reasons = {key.removeprefix("reason-"): value.strip() for key, value in request.form.items()
               if key.startswith("reason-")}
    if form.validate_on_submit():
        given = {}
        for key, value in reasons.items():
            if key.isdigit():
                given[int(key)] = value
        try:
            results.finalise(db.session, current_user, call, given)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("The final result is published."), "success")
            return _back(call)
    return _page(call, 422, reasons=reasons)


def _when(call: Call) -> str:
    from venture.core.formatting import format_moment

    return format_moment(call.notice_ends_at, "medium") if call.notice_ends_at else ""
