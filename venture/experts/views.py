"""The expert pool (专家库) of each organizing body: invitations and expert profiles."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from venture import permissions
from venture.bodies.models import OrganizingBody, PoolExpert
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.experts import forms, services
from venture.extensions import db
from venture.invitations import services as invitations
from venture.invitations.models import Invitation, InvitationKind
from venture.review import expertise
from venture.web import form_error, load_or_404, locale_code

bp = Blueprint("experts", __name__)


# The pool, for the body's organizers ---------------------------------------------------------

@bp.route("/bodies/<body_id>/experts")
@login_required
def pool(body_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "body:manage_experts")
    return _render_pool(body, forms.InviteExpertForm())


def _render_pool(body: OrganizingBody, form: forms.InviteExpertForm, status: int = 200) -> Any:
    experts = services.pool_of(db.session, body)
    pending = invitations.pending_for(db.session, body=body, kind=InvitationKind.EXPERT)
    return render_template("experts/pool.html", body=body, experts=experts, form=form, pending=pending,
                           panels=services.panels_of(db.session, experts), area_label=expertise.label), status


@bp.route("/bodies/<body_id>/experts/invite", methods=["POST"])
@login_required
def invite(body_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "body:manage_experts")
    form = forms.InviteExpertForm()
    if form.validate_on_submit():
        try:
            invitations.invite(db.session, current_user, InvitationKind.EXPERT, form.email.data,
                               body=body, locale=locale_code())
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("An invitation was sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("experts.pool", body_id=body.id))
    return _render_pool(body, form, 422)


@bp.route("/bodies/<body_id>/experts/invitations/<invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(body_id: str, invitation_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "body:manage_experts")
    invitation = load_or_404(Invitation, invitation_id)
    if invitation.body_id != body.id or invitation.kind is not InvitationKind.EXPERT:
        raise NotFound()
    try:
        invitations.revoke(db.session, current_user, invitation)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The invitation is withdrawn."), "success")
    return redirect(url_for("experts.pool", body_id=body.id))


@bp.route("/bodies/<body_id>/experts/<expert_id>/remove", methods=["POST"])
@login_required
def remove(body_id: str, expert_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "body:manage_experts")
    expert = load_or_404(PoolExpert, expert_id)
    if expert.body_id != body.id:
        raise NotFound()
    name = expert.user.public_name
    try:
        services.remove_expert(db.session, current_user, expert)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("%(name)s is no longer in the pool.", name=name), "success")
    return redirect(url_for("experts.pool", body_id=body.id))


# The expert's own pages ---------------------------------------------------------------------

@bp.route("/experts/")
@login_required
def mine() -> Any:
    return render_template("experts/mine.html", memberships=services.memberships_of(db.session, current_user),
                           area_label=expertise.label)


@bp.route("/experts/<expert_id>/profile")
@login_required
def profile(expert_id: str) -> Any:
    expert = load_or_404(PoolExpert, expert_id, "expert:view_profile")
    form = None
    if permissions.can(current_user, "expert:edit_profile", expert):
        form = forms.ProfileForm()
        form.fill_from(expert)
        form.add_blank_rows()
    return _render_profile(expert, form)


def _render_profile(expert: PoolExpert, form: forms.ProfileForm | None, status: int = 200) -> Any:
    return render_template("experts/profile.html", expert=expert, form=form, area_label=expertise.label,
                           relation_label=services.relation_label), status


@bp.route("/experts/<expert_id>/profile", methods=["POST"])
@login_required
def save_profile(expert_id: str) -> Any:
    expert = load_or_404(PoolExpert, expert_id, "expert:edit_profile")
    form = forms.ProfileForm()
    if form.add_row.data and form.is_submitted():
        # "Add another row": the same form back, with one more empty row; nothing is saved.
        form.add_blank_rows(1 + len([e for e in form.affiliations.entries if e.form.is_blank()]))
        return _render_profile(expert, form)
    if form.validate_on_submit():
        try:
            services.update_profile(db.session, current_user, expert, form.expertise.data or [],
                                    form.affiliation_rows(), form.available.data == "yes",
                                    form.availability_note.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("experts.profile", expert_id=expert.id))
    form.add_blank_rows()
    return _render_profile(expert, form, 422 if request.method == "POST" else 200)
