from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.exceptions import NotFound

from venture import permissions
from venture.accounts.forms import ConfirmForm
from venture.bodies import forms, services
from venture.bodies.models import BodyKind, Organizer, OrganizingBody
from venture.calls.models import Call
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.invitations import services as invitations
from venture.invitations.models import InvitationKind
from venture.web import form_error, load_or_404, locale_code

bp = Blueprint("bodies", __name__, url_prefix="/bodies")


@bp.route("/")
def index() -> Any:
    bodies = db.session.scalars(select(OrganizingBody).order_by(OrganizingBody.name)).all()
    return render_template("bodies/index.html", bodies=bodies)


@bp.route("/mine")
@login_required
def home() -> Any:
    """The organizer's home: their bodies and calls, with what needs them."""
    from venture.bodies.home import organizer_home

    permissions.require(current_user, "organizer:home")
    return render_template("bodies/home.html", bodies=organizer_home(db.session, current_user, utcnow()))


@bp.route("/<body_id>")
def show(body_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "body:view")
    found = db.session.scalars(select(Call).where(Call.body_id == body.id).order_by(Call.closes_at.desc())).all()
    # The body's rules behind call:view (of a draft) and call:manage: asked once, not once per call.
    show_drafts = permissions.can(current_user, "body:view_drafts", body)
    calls = [c for c in found if c.is_public or show_drafts]
    manage = permissions.can(current_user, "body:manage_calls", body)
    return render_template("bodies/show.html", body=body, calls=calls, now=utcnow(), manage=manage)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> Any:
    permissions.require(current_user, "body:create")
    return _edit(None)


@bp.route("/<body_id>/edit", methods=["GET", "POST"])
@login_required
def edit(body_id: str) -> Any:
    return _edit(load_or_404(OrganizingBody, body_id, "body:edit"))


def _edit(body: OrganizingBody | None) -> Any:
    form = forms.BodyForm(obj=body)
    if request.method == "GET" and body is not None:
        form.kind.data = body.kind.value
    if form.validate_on_submit():
        try:
            body = services.save_body(
                db.session, current_user, body, name=form.name.data, kind=BodyKind(form.kind.data),
                region=form.region.data or "", contact_email=form.contact_email.data or "",
                description=form.description.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The body is saved."), "success")
            return redirect(url_for("bodies.staff", body_id=body.id))
    status = 422 if request.method == "POST" else 200
    return render_template("bodies/edit.html", form=form, body=body), status


@bp.route("/<body_id>/staff")
@login_required
def staff(body_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "body:edit")
    return _render_staff(body, forms.InviteOrganizerForm())


def _render_staff(body: OrganizingBody, form: forms.InviteOrganizerForm, status: int = 200) -> Any:
    # The organizers with their accounts in one query, not one per organizer.
    set_committed_value(body, "organizers", db.session.scalars(
        select(Organizer).where(Organizer.body_id == body.id).options(joinedload(Organizer.user))
        .order_by(Organizer.id)).all())
    pending = invitations.pending_for(db.session, body=body, kind=InvitationKind.ORGANIZER)
    return render_template("bodies/staff.html", body=body, form=form, confirm=ConfirmForm(),
                           pending=pending), status


@bp.route("/<body_id>/organizers/invite", methods=["POST"])
@login_required
def invite_organizer(body_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "body:manage_organizers")
    form = forms.InviteOrganizerForm()
    if form.validate_on_submit():
        try:
            invitations.invite(db.session, current_user, InvitationKind.ORGANIZER,
                                                   form.email.data, body=body, locale=locale_code())
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("An invitation was sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("bodies.staff", body_id=body.id))
    return _render_staff(body, form, 422)


@bp.route("/<body_id>/organizers/<organizer_id>/remove", methods=["POST"])
@login_required
def remove_organizer(body_id: str, organizer_id: str) -> Any:
    body = load_or_404(OrganizingBody, body_id, "body:manage_organizers")
    organizer = load_or_404(Organizer, organizer_id)
    if organizer.body_id != body.id:
        raise NotFound()
    services.remove_organizer(db.session, current_user, organizer)
    flash(_("The organizer is removed."), "success")
    return redirect(url_for("bodies.staff", body_id=body.id))
