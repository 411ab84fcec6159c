from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, subqueryload

from venture import permissions
from venture.bodies.models import OrganizingBody
from venture.calls import forms, services
from venture.calls.models import Call, Phase
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups import services as groups
from venture.panels import recusal
from venture.proposals import services as proposals
from venture.proposals.models import Proposal, ProposalStatus
from venture.web import form_error, load_or_404

bp = Blueprint("calls", __name__)


def _phase_key(call: Call, now: Any) -> str:
    if call.is_upcoming(now):
        return "upcoming"
    if call.is_accepting(now):
        return "accepting"
    return call.effective_phase(now).value


@bp.route("/calls/")
def index() -> Any:
    now = utcnow()
    calls = db.session.scalars(select(Call).where(Call.phase != Phase.DRAFT)
                               .options(joinedload(Call.body)).order_by(Call.closes_at.desc())).all()
    form = forms.CallFilterForm(request.args)
    form.theme.choices = [("", _("All themes"))] + [(t, t) for t in sorted({t for c in calls for t in c.themes})]
    form.district.choices = [("", _("All districts"))] + [(d, d) for d in sorted({d for c in calls for d in c.districts})]
    chosen = [c for c in calls
              if (not form.kind.data or c.kind.value == form.kind.data)
              and (not form.phase.data or _phase_key(c, now) == form.phase.data)
              and (not form.theme.data or form.theme.data in c.themes)
              and (not form.district.data or form.district.data in c.districts)
              and (not form.closing_soon.data or c.closes_within(now, timedelta(days=7)))]
    counts = _submitted_counts([c.id for c in chosen])
    return render_template("calls/index.html", calls=chosen, form=form, now=now, counts=counts,
                           phase_key=_phase_key)


def _submitted_counts(call_ids: list[int]) -> dict[int, int]:
    if not call_ids:
        return {}
    rows = db.session.execute(select(Proposal.call_id, func.count(Proposal.id))
                              .where(Proposal.call_id.in_(call_ids), Proposal.status == ProposalStatus.SUBMITTED)
                              .group_by(Proposal.call_id))
    return dict(rows.all())


@bp.route("/calls/<call_id>")
def show(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:view")
    now = utcnow()
    my_groups = []
    if permissions.can(current_user, "call:apply", call):
        taken = set(db.session.scalars(select(Proposal.group_id).where(Proposal.call_id == call.id)))
        my_groups = [g for g in groups.groups_of(db.session, current_user)
                     if not proposals.eligibility(call, g) and g.id not in taken]
    my_proposals = []
    if current_user.is_authenticated:
        member_of = [g.id for g in groups.groups_of(db.session, current_user)]
        my_proposals = db.session.scalars(select(Proposal).where(
            Proposal.call_id == call.id, Proposal.group_id.in_(member_of))
            .options(joinedload(Proposal.group))).all() if member_of else []
    apply_form = forms.ApplyForm()
    apply_form.group.choices = [(g.id, g.name) for g in my_groups]
    return render_template("calls/show.html", call=call, now=now, phase_key=_phase_key(call, now),
                           submitted=_submitted_counts([call.id]).get(call.id, 0),
                           apply_form=apply_form, my_groups=my_groups, my_proposals=my_proposals,
                           drafts_allowed=proposals.drafts_allowed(call, now),
                           draw_commitments=_draw_commitments(call))


def _draw_commitments(call: Call) -> list[Any]:
    """Published before each panel draw: the digest and when (the rest from the notice on, see panels.public)."""
    from venture.review.models import DrawCommitment

    rows = db.session.scalars(select(DrawCommitment).where(DrawCommitment.call_id == call.id)
                              .order_by(DrawCommitment.id)).all()
    return [{"digest": c.digest, "committed_at": c.created_at, "used": c.used_at is not None} for c in rows]


@bp.route("/calls/<call_id>/apply", methods=["POST"])
@login_required
def apply(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:apply")
    form = forms.ApplyForm()
    group = next((g for g in groups.groups_of(db.session, current_user) if g.id == form.group.data), None)
    if group is None:
        flash(_("Choose one of your groups."), "error")
        return redirect(url_for("calls.show", call_id=call.id))
    try:
        proposal = proposals.start_proposal(db.session, current_user, call, group)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("calls.show", call_id=call.id))
    flash(_("Your draft is started. It is saved on this site; only members of %(group)s can see it.",
            group=group.name), "success")
    return redirect(url_for("proposals.edit", proposal_id=proposal.id))


@bp.route("/bodies/<body_id>/calls/new", methods=["GET", "POST"])
@login_required
def create(body_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "call:create")
    form = forms.CallForm()
    if form.validate_on_submit():
        try:
            call = services.create_call(db.session, current_user, body, form.rules())
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The call is saved as a draft. Nobody else sees it until you open it."), "success")
            return redirect(url_for("calls.manage", call_id=call.id))
    status = 422 if request.method == "POST" else 200
    return render_template("calls/edit.html", form=form, body=body, call=None), status


@bp.route("/calls/<call_id>/edit", methods=["GET", "POST"])
@login_required
def edit(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    form = forms.CallForm(obj=call)
    if request.method == "GET":
        form.fill_from(call)
    if form.validate_on_submit():
        try:
            services.update_call(db.session, current_user, call, form.rules())
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The call is saved."), "success")
            return redirect(url_for("calls.manage", call_id=call.id))
    status = 422 if request.method == "POST" else 200
    return render_template("calls/edit.html", form=form, body=call.body, call=call), status


@bp.route("/calls/<call_id>/phase", methods=["POST"])
@login_required
def change_phase(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    form = forms.PhaseForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.catch_up_with_clock(db.session, call)
        services.transition(db.session, current_user, call, Phase(form.to.data), reason=form.reason.data or "")
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The call is now: %(phase)s.", phase=call.phase.label), "success")
    return redirect(url_for("calls.manage", call_id=call.id))


@bp.route("/calls/<call_id>/manage")
@login_required
def manage(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    now = utcnow()
    # What each row shows, in a fixed number of queries (subqueryload: no IN list to split).
    rows = db.session.scalars(select(Proposal).where(Proposal.call_id == call.id)
                              .options(joinedload(Proposal.group), subqueryload(Proposal.versions),
                                       subqueryload(Proposal.attachments))
                              .order_by(Proposal.number, Proposal.id)).all()
    recused = recusal.for_page(db.session, current_user, call)
    drafts = sum(1 for p in rows if p.status is ProposalStatus.DRAFT)
    submitted = [p for p in rows if p.status is ProposalStatus.SUBMITTED and not recused.hides(p.group_id)]
    withdrawn = sum(1 for p in rows if p.status is ProposalStatus.WITHDRAWN)
    rubric_problems = services.rubric_problems(
        [services.CriterionSpec(c.name, c.weight, c.max_points) for c in call.criteria])
    return render_template("calls/manage.html", call=call, now=now, drafts=drafts, submitted=submitted,
                           withdrawn=withdrawn, rubric_problems=rubric_problems, recused=recused,
                           phase_form=forms.PhaseForm(), problems_of=proposals.completeness)
