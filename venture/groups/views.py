from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from venture import permissions
from venture.accounts.forms import ConfirmForm
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.extensions import db
from venture.groups import forms, services
from venture.groups.models import Group, GroupMembership, MemberRole
from venture.invitations import services as invitations
from venture.invitations.models import Invitation, InvitationKind
from venture.web import form_error, load_or_404, locale_code

bp = Blueprint("groups", __name__, url_prefix="/groups")


@bp.route("/")
@login_required
def mine() -> Any:
    return render_template("groups/mine.html", groups=services.groups_of(db.session, current_user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> Any:
    permissions.require(current_user, "group:create")
    form = forms.GroupForm()
    if form.validate_on_submit():
        try:
            group = services.create_group(db.session, current_user, form.profile())
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The group %(name)s is created.", name=group.name), "success")
            return redirect(url_for("groups.show", group_id=group.id))
    status = 422 if request.method == "POST" else 200
    return render_template("groups/edit.html", form=form, group=None), status


@bp.route("/<group_id>")
@login_required
def show(group_id: str) -> Any:
    group = load_or_404(Group, group_id, "group:view")
    return render_template(
        "groups/show.html", group=group, invite_form=forms.InviteForm(), confirm=ConfirmForm(),
        pending=invitations.pending_for(db.session, group=group)
        if permissions.can(current_user, "group:invite", group) else [])


@bp.route("/<group_id>/edit", methods=["GET", "POST"])
@login_required
def edit(group_id: str) -> Any:
    group = load_or_404(Group, group_id, "group:edit")
    form = forms.GroupForm(obj=group)
    if request.method == "GET":
        form.kind.data = group.kind.value
        form.registration_type.data = group.registration_type.value if group.registration_type else ""
    if form.validate_on_submit():
        try:
            services.update_group(db.session, current_user, group, form.profile())
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The group profile is saved."), "success")
            return redirect(url_for("groups.show", group_id=group.id))
    status = 422 if request.method == "POST" else 200
    return render_template("groups/edit.html", form=form, group=group), status


@bp.route("/<group_id>/invite", methods=["POST"])
@login_required
def invite(group_id: str) -> Any:
    group = load_or_404(Group, group_id, "group:invite")
    form = forms.InviteForm()
    if form.validate_on_submit():
        try:
            invitations.invite(db.session, current_user, InvitationKind.GROUP_MEMBER,
                                                   form.email.data, group=group,
                                                   locale=locale_code())
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("An invitation was sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("groups.show", group_id=group.id))
    return render_template("groups/show.html", group=group, invite_form=form, confirm=ConfirmForm(),
                           pending=invitations.pending_for(db.session, group=group)), 422


@bp.route("/<group_id>/invitations/<invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(group_id: str, invitation_id: str) -> Any:
    group = load_or_404(Group, group_id, "group:invite")
    invitation = load_or_404(Invitation, invitation_id)
    if invitation.group_id != group.id:
        raise NotFound()
    try:
        invitations.revoke(db.session, current_user, invitation)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("groups.show", group_id=group.id))
    flash(_("The invitation is withdrawn."), "success")
    return redirect(url_for("groups.show", group_id=group.id))


def _membership(group_id: str, membership_id: str, action: str) -> GroupMembership:
    membership = load_or_404(GroupMembership, membership_id)
    if str(membership.group_id) != str(group_id):
        raise NotFound()
    permissions.require(current_user, action, membership)
    return membership


@bp.route("/<group_id>/members/<membership_id>/remove", methods=["POST"])
@login_required
def remove_member(group_id: str, membership_id: str) -> Any:
    membership = _membership(group_id, membership_id, "group:remove_member")
    leaving = membership.user_id == current_user.id
    group = membership.group
    try:
        services.remove_member(db.session, current_user, membership)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("groups.show", group_id=group.id))
    if leaving:
        flash(_("You have left %(name)s.", name=group.name), "success")
        return redirect(url_for("groups.mine"))
    flash(_("The member is removed."), "success")
    return redirect(url_for("groups.show", group_id=group.id))


@bp.route("/<group_id>/members/<membership_id>/role", methods=["POST"])
@login_required
def change_role(group_id: str, membership_id: str) -> Any:
    membership = _membership(group_id, membership_id, "group:change_role")
    form = forms.RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role."), "error")
    else:
        try:
            services.change_role(db.session, current_user, membership, MemberRole(form.role.data))
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("The role is changed."), "success")
    return redirect(url_for("groups.show", group_id=membership.group_id))
