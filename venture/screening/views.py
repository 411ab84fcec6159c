"""Screening (资格初审): each submitted proposal checked against the call's published conditions."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from venture import permissions
from venture.calls.models import Call
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.panels import recusal
from venture.proposals.models import Proposal, Screening
from venture.screening import forms, services
from venture.web import form_error, load_or_404

bp = Blueprint("screening", __name__)


@bp.route("/calls/<call_id>/screening")
@login_required
def index(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    return _render(call)


def _render(call: Call, posted: dict[int, forms.ScreeningForm] | None = None, status: int = 200) -> Any:
    now = utcnow()
    recused = recusal.for_page(db.session, current_user, call)
    proposals = [p for p in services.submitted_proposals(db.session, call) if not recused.hides(p.group_id)]
    decision_forms = {p.id: (posted or {}).get(p.id) or _blank_form(p) for p in proposals}
    return render_template("screening/index.html", call=call, now=now, proposals=proposals,
                           forms=decision_forms, checks={p.id: services.condition_checks(p) for p in proposals},
                           counts=services.counts(proposals), closed_problem=services.phase_problem(call, now),
                           Screening=Screening, recused=recused, category_label=services.category_label), status


def _blank_form(proposal: Proposal) -> forms.ScreeningForm:
    form = forms.ScreeningForm(formdata=None)
    if proposal.screening is not Screening.PENDING:
        form.decision.data = proposal.screening.value
    if proposal.screening is Screening.INELIGIBLE:
        form.category.data = proposal.screening_category
    return form


@bp.route("/calls/<call_id>/screening/<proposal_id>", methods=["POST"])
@login_required
def decide(call_id: str, proposal_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    proposal = load_or_404(Proposal, proposal_id)
    if proposal.call_id != call.id:
        raise NotFound()
    permissions.require(current_user, "proposal:oversee", proposal)
    form = forms.ScreeningForm()
    if form.validate_on_submit():
        try:
            changed = services.screen(db.session, current_user, proposal, form.decision.data == "eligible",
                                      form.reason.data or "", category=form.category.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            if changed:
                flash(_("%(number)s: %(decision)s. The group is told by e-mail.", number=proposal.number,
                        decision=proposal.screening.label), "success")
            else:
                flash(_("%(number)s: this decision was already recorded.", number=proposal.number), "info")
            return redirect(url_for("screening.index", call_id=call.id, _anchor=f"proposal-{proposal.id}"))
    return _render(call, {proposal.id: form}, 422)
