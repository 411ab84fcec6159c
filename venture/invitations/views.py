from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from venture.accounts.forms import ConfirmForm
from venture.bodies.models import PoolExpert
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.invitations import services
from venture.invitations.models import InvitationKind

bp = Blueprint("invitations", __name__, url_prefix="/invitations")


@bp.route("/<token>", methods=["GET", "POST"])
def respond(token: str) -> Any:
    invitation = services.find(db.session, token)
    if invitation is None or not invitation.is_pending(utcnow()):
        return render_template("accounts/link_invalid.html",
                               message=_("This invitation is invalid, already used, withdrawn or "
                                         "expired. Ask the person who invited you to send a new one.")), 404
    form = ConfirmForm()
    if request.method == "POST" and current_user.is_authenticated and form.validate_on_submit():
        try:
            services.accept(db.session, current_user, token)
        except DomainError as error:
            flash(str(error.message), "error")
            return render_template("invitations/respond.html", invitation=invitation, form=form), 403
        if invitation.kind is InvitationKind.GROUP_MEMBER:
            flash(_("You have joined %(name)s.", name=invitation.target_name), "success")
            return redirect(url_for("groups.show", group_id=invitation.group_id))
        if invitation.kind is InvitationKind.EXPERT:
            expert = db.session.scalar(select(PoolExpert).where(PoolExpert.body_id == invitation.body_id,
                                                                PoolExpert.user_id == current_user.id))
            if expert is not None:
                flash(_("You have joined the expert pool of %(name)s. Fill in your profile.",
                        name=invitation.target_name), "success")
                return redirect(url_for("experts.profile", expert_id=expert.id))
        flash(_("You have joined %(name)s.", name=invitation.target_name), "success")
        return redirect(url_for("bodies.show", body_id=invitation.body_id))
    return render_template("invitations/respond.html", invitation=invitation, form=form)
