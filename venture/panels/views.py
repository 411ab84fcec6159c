"""A call's review panel: the organizer's page (draw, members, conflicts,
assignments) and the expert's pages (answer, declare conflicts, step down)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from venture import permissions
from venture.accounts.models import User
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Phase
from venture.core.collation import name_sort_key
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.l10n import ngettext
from venture.core.timeutil import local_to_utc, utc_to_local
from venture.extensions import db
from venture.groups.models import Group
from venture.panels import conflicts, forms, recusal, redistribution, services
from venture.review import expertise
from venture.review.models import Assignment, Conflict, ConflictSource, MemberStatus, PanelDraw, PanelMember
from venture.web import form_error, load_or_404

bp = Blueprint("panels", __name__)


def _member_of(call: Call, member_id: str) -> PanelMember:
    member = load_or_404(PanelMember, member_id)
    if member.call_id != call.id:
        raise NotFound()
    return member


def _name(member: PanelMember) -> str:
    return member.expert.user.public_name


# The organizer's page ----------------------------------------------------------------------

def _render_panel(call: Call, status: int = 200, **given: Any) -> Any:
    session = db.session
    # An organizer tied to a group sees nothing of its proposal here: neither its
    # assignments nor the conflicts with the group, nor the group among the choices.
    recused = recusal.for_page(session, current_user, call)
    pool = services.available_pool(session, call)
    members = services.members_of(session, call)
    by_id = {m.id: m for m in members}
    member_conflicts: dict[int, list[Conflict]] = {}
    for conflict in session.scalars(select(Conflict).join(PanelMember, PanelMember.id == Conflict.member_id)
                                    .where(PanelMember.call_id == call.id).order_by(Conflict.id)):
        if not recused.hides(conflict.group_id):
            member_conflicts.setdefault(conflict.member_id, []).append(conflict)
    groups = [(gid, name) for gid, name in conflicts.applicant_groups(session, call) if not recused.hides(gid)]
    group_names = dict(groups)
    loads = services.active_loads(session, call)
    plan = services.assignment_plan(session, call)
    serving = [m for m in members if m.status is MemberStatus.ACCEPTED and m.conflicts_declared_at is not None]

    on_panel = {m.expert_id for m in members}
    addable = sorted((e for e in session.scalars(select(PoolExpert).join(User, User.id == PoolExpert.user_id)
                                                 .where(PoolExpert.body_id == call.body_id, User.deleted_at.is_(None)))
                      if e.id not in on_panel), key=lambda e: (name_sort_key(e.user.public_name), e.id))

    draw_form = given.get("draw_form") or forms.DrawForm(formdata=None)
    draws = services.draws_of(session, call)
    answered = {m.draw_id for m in members if m.draw_id is not None and m.status is not MemberStatus.INVITED}
    discard_forms = {d.id: given.get("discard_forms", {}).get(d.id)
                     or forms.DiscardDrawForm(formdata=None, prefix=f"discard-{d.id}")
                     for d in draws if d.discarded_at is None and d.id not in answered}
    add_form = given.get("add_form") or forms.AddMemberForm(formdata=None, prefix="add")
    add_form.expert.choices = [(e.id, e.user.public_name + ("" if e.available else " – " + _("not available")))
                               for e in addable]
    conflict_form = given.get("conflict_form") or forms.AddConflictForm(formdata=None, prefix="conflict")
    conflict_form.member.choices = [(m.id, _name(m)) for m in members
                                    if m.status in (MemberStatus.INVITED, MemberStatus.ACCEPTED)]
    conflict_form.group.choices = groups
    due_form = given.get("due_form") or forms.DueForm(formdata=None)
    if due_form.due_at.data is None and call.review_due_at is not None:
        due_form.due_at.data = utc_to_local(call.review_due_at, call.timezone)

    # Assignments, by proposal.
    live = [a for a in redistribution.active_assignments(session, call) if not recused.hides(a.proposal.group_id)]
    rows: dict[int, list[Assignment]] = {}
    for assignment in live:
        rows.setdefault(assignment.proposal_id, []).append(assignment)
    assigned_proposals = sorted({a.proposal for a in live}, key=lambda p: (p.number or "", p.id))
    by_group = redistribution.conflicts_by_group(session, call)
    move_forms = {}
    for assignment in live:
        form = given.get("move_forms", {}).get(assignment.id) or forms.MoveForm(
            formdata=None, prefix=f"move-{assignment.id}")
        taken = {a.member_id for a in rows[assignment.proposal_id]}
        blocked = by_group.get(assignment.proposal.group_id, set())
        form.to_member.choices = [(m.id, _name(m)) for m in serving if m.id not in taken and m.id not in blocked]
        move_forms[assignment.id] = form
    stand_down_forms = {m.id: given.get("stand_down_forms", {}).get(m.id)
                        or forms.StandDownForm(formdata=None, prefix=f"withdraw-{m.id}")
                        for m in members if m.status is MemberStatus.ACCEPTED}

    return render_template(
        "panels/panel.html", call=call, pool_size=len(pool), pool_counts=services.pool_counts(pool),
        area_label=expertise.label, draws=draws, members=members, by_id=by_id,
        commitment=services.open_commitment(session, call), prepare_form=forms.PrepareDrawForm(formdata=None),
        discard_forms=discard_forms,
        expert_names={m.expert_id: _name(m) for m in members},
        member_conflicts=member_conflicts, group_names=group_names, loads=loads, plan=plan,
        draw_form=draw_form, add_form=add_form, conflict_form=conflict_form, due_form=due_form,
        assign_form=forms.AssignForm(formdata=None), rows=rows, assigned_proposals=assigned_proposals,
        move_forms=move_forms, stand_down_forms=stand_down_forms, panel_open=call.phase in services.PANEL_PHASES,
        review_submitted=redistribution.review_submitted, recused=recused,
    ), status


@bp.route("/calls/<call_id>/panel")
@login_required
def panel(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    return _render_panel(call)


def _back(call: Call, anchor: str = "") -> Any:
    return redirect(url_for("panels.panel", call_id=call.id) + (f"#{anchor}" if anchor else ""))


@bp.route("/calls/<call_id>/panel/prepare", methods=["POST"])
@login_required
def prepare_draw(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    form = forms.PrepareDrawForm()
    if not form.validate_on_submit():
        return _render_panel(call, 422)
    try:
        commitment = services.prepare_draw(db.session, current_user, call)
    except DomainError as error:
        flash(str(error.message), "error")
        return _render_panel(call, 422)
    flash(_("The draw is prepared. Its commitment %(digest)s is published on the call's page; show it to the "
            "witnesses before they choose their values.", digest=commitment.digest), "success")
    return _back(call, "draw-title")


@bp.route("/calls/<call_id>/panel/draw", methods=["POST"])
@login_required
def draw(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    form = forms.DrawForm()
    if form.validate_on_submit():
        try:
            witnesses = services.clean_witnesses(form.witnesses())
            record = services.draw(db.session, current_user, call, form.size.data, form.minimums(), witnesses)
        except DomainError as error:
            if error.field == "witnesses":
                form.witness_0_name.errors = [*form.witness_0_name.errors, str(error.message)]
            else:
                form_error(form, error)
        else:
            flash(ngettext("%(num)d expert drawn and asked by e-mail.", "%(num)d experts drawn and asked by e-mail.",
                           len(record.chosen)), "success")
            if record.shortfalls or len(record.chosen) < record.size:
                flash(_("The pool could not meet the request: %(short)s. Widen the pool and draw again.",
                        short=_shortfall_text(record.shortfalls, record.size - len(record.chosen))), "error")
            return _back(call, "draws-title")
    return _render_panel(call, 422, draw_form=form)


@bp.route("/calls/<call_id>/panel/draws/<draw_id>/discard", methods=["POST"])
@login_required
def discard_draw(call_id: str, draw_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    record = load_or_404(PanelDraw, draw_id)
    if record.call_id != call.id:
        raise NotFound()
    form = forms.DiscardDrawForm(prefix=f"discard-{record.id}")
    if form.validate_on_submit():
        try:
            services.discard_draw(db.session, current_user, record, form.reason.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Draw #%(num)d is discarded. It stays listed with its reason; its experts are told and go back "
                    "to the pool.", num=record.id), "success")
            return _back(call, "draws-title")
    return _render_panel(call, 422, discard_forms={record.id: form})


def _shortfall_text(shortfalls: dict[str, int], empty_seats: int) -> str:
    parts = [_("%(area)s short by %(num)d", area=expertise.label(area), num=n) for area, n in shortfalls.items()]
    if empty_seats:
        parts.append(ngettext("%(num)d seat empty", "%(num)d seats empty", empty_seats))
    return "; ".join(parts)


@bp.route("/calls/<call_id>/panel/add", methods=["POST"])
@login_required
def add_member(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    form = forms.AddMemberForm(prefix="add")
    if form.validate_on_submit():
        expert = db.session.get(PoolExpert, form.expert.data) if form.expert.data else None
        try:
            if expert is None:
                raise DomainError(_("Choose an expert from this body's pool."), "expert")
            services.add_manual(db.session, current_user, call, expert, form.reason.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The expert is added to the panel and asked by e-mail to accept."), "success")
            return _back(call, "members-title")
    return _render_panel(call, 422, add_form=form)


@bp.route("/calls/<call_id>/panel/conflicts", methods=["POST"])
@login_required
def add_conflict(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    form = forms.AddConflictForm(prefix="conflict")
    if form.validate_on_submit():
        member = db.session.get(PanelMember, form.member.data) if form.member.data else None
        group = db.session.get(Group, form.group.data) if form.group.data else None
        try:
            if member is None or member.call_id != call.id:
                raise DomainError(_("Choose a panel member."), "member")
            if group is None or group.id in permissions.recused_groups(current_user, call):
                # A tied organizer does not choose who reviews their group's proposal.
                raise DomainError(_("Choose one of the groups that applied to this call."), "group")
            moved = conflicts.add_by_organizer(db.session, current_user, member, group, form.reason.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The conflict is recorded."), "success")
            _flash_moved(moved)
            return _back(call, "members-title")
    return _render_panel(call, 422, conflict_form=form)


def _flash_moved(moved: redistribution.Redistribution) -> None:
    if moved.moves:
        flash(ngettext("%(num)d assignment was given to another member.",
                       "%(num)d assignments were given to other members.", len(moved.moves)), "info")
    if moved.unserved:
        flash(_("Nobody could take over these proposals: %(numbers)s. Add panel members and move them by hand.",
                numbers=redistribution.receipt_numbers(moved.unserved)), "error")


@bp.route("/calls/<call_id>/panel/due", methods=["POST"])
@login_required
def set_due(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    form = forms.DueForm()
    if form.validate_on_submit():
        try:
            services.set_review_due(db.session, current_user, call, local_to_utc(form.due_at.data, call.timezone))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The review deadline is set."), "success")
            return _back(call, "due-title")
    return _render_panel(call, 422, due_form=form)


@bp.route("/calls/<call_id>/panel/assign", methods=["POST"])
@login_required
def assign(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    form = forms.AssignForm()
    if not form.validate_on_submit():
        return _render_panel(call, 422)
    try:
        result = services.assign_call(db.session, current_user, call)
    except DomainError as error:
        flash(str(error.message), "error")
        return _render_panel(call, 422)
    flash(_("Reviewers are assigned and told by e-mail."), "success")
    if not result.balanced:
        flash(_("Conflicts of interest kept the loads from being fully even; this is the most even assignment "
                "possible."), "info")
    if result.without_finance:
        flash(ngettext("%(num)d proposal has no finance expert among its reviewers.",
                       "%(num)d proposals have no finance expert among their reviewers.",
                       len(result.without_finance)), "info")
    return _back(call, "assignments-title")


@bp.route("/calls/<call_id>/panel/assignments/<assignment_id>/move", methods=["POST"])
@login_required
def move(call_id: str, assignment_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    assignment = load_or_404(Assignment, assignment_id)
    if assignment.proposal.call_id != call.id:
        raise NotFound()
    permissions.require(current_user, "proposal:oversee", assignment.proposal)
    form = forms.MoveForm(prefix=f"move-{assignment.id}")
    if form.validate_on_submit():
        to_member = db.session.get(PanelMember, form.to_member.data) if form.to_member.data else None
        try:
            if to_member is None or to_member.call_id != call.id:
                raise DomainError(_("Choose a member of this panel who has accepted."), "to_member")
            services.move(db.session, current_user, assignment, to_member, form.reason.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The assignment is moved."), "success")
            return _back(call, "assignments-title")
    return _render_panel(call, 422, move_forms={assignment.id: form})


@bp.route("/calls/<call_id>/panel/members/<member_id>/withdraw", methods=["POST"])
@login_required
def stand_down(call_id: str, member_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    member = _member_of(call, member_id)
    form = forms.StandDownForm(prefix=f"withdraw-{member.id}")
    if form.validate_on_submit():
        try:
            moved = services.withdraw(db.session, current_user, member, form.reason.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("%(name)s is no longer on the panel.", name=_name(member)), "success")
            _flash_moved(moved)
            return _back(call, "members-title")
    return _render_panel(call, 422, stand_down_forms={member.id: form})


# The expert's pages ---------------------------------------------------------------------------

def _render_member(member: PanelMember, status: int = 200, **given: Any) -> Any:
    return render_template(
        "panels/member.html", member=member, call=member.call,
        respond_form=given.get("respond_form") or forms.RespondForm(formdata=None),
        withdraw_form=given.get("withdraw_form") or forms.WithdrawForm(formdata=None),
        area_label=expertise.label, declaring=member.call.phase in (Phase.CLOSED, Phase.REVIEW),
    ), status


@bp.route("/panels/<member_id>", methods=["GET", "POST"])
@login_required
def respond(member_id: str) -> Any:
    member = load_or_404(PanelMember, member_id, "panel:view")
    if request.method == "GET":
        return _render_member(member)
    form = forms.RespondForm()
    if not permissions.can(current_user, "panel:respond", member):
        flash(_("Your answer is already recorded; it cannot be changed here."), "error")
        return redirect(url_for("panels.respond", member_id=member.id))
    if form.validate_on_submit():
        try:
            services.respond(db.session, current_user, member, form.answer.data == "accept")
        except DomainError as error:
            form_error(form, error)
        else:
            if member.status is MemberStatus.ACCEPTED:
                flash(_("Thank you for accepting. Once the call has closed you will be asked about your ties to "
                        "the applicants."), "success")
            else:
                flash(_("Your answer is recorded. Thank you for letting us know."), "success")
            return redirect(url_for("panels.respond", member_id=member.id))
    return _render_member(member, 422, respond_form=form)


@bp.route("/panels/<member_id>/conflicts", methods=["GET", "POST"], endpoint="conflicts")
@login_required
def declare_conflicts(member_id: str) -> Any:
    member = load_or_404(PanelMember, member_id, "panel:declare_conflicts")
    groups = conflicts.applicant_groups(db.session, member.call)
    form = forms.declare_form(groups)
    recorded = {c.group_id: c for c in conflicts.conflicts_of(db.session, member)}
    found = conflicts.found_ties(db.session, member)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            ticked = [gid for gid, _name in groups if form[f"tie_{gid}"].data]
            reasons = {gid: form[f"reason_{gid}"].data or "" for gid, _name in groups}
            try:
                conflicts.declare(db.session, current_user, member, ticked, bool(form.none_confirmed.data), reasons)
            except DomainError as error:
                form_error(form, error)
            else:
                flash(_("Your declaration is recorded."), "success")
                return redirect(url_for("panels.conflicts", member_id=member.id))
    return render_template("panels/conflicts.html", member=member, call=member.call, form=form, groups=groups,
                           recorded=recorded, found=found), status


@bp.route("/calls/<call_id>/ties", methods=["GET", "POST"], endpoint="organizer_ties")
@login_required
def organizer_ties(call_id: str) -> Any:
    """An organizer's own declaration of ties with the call's applicant groups (回避)."""
    call = load_or_404(Call, call_id, "call:declare_ties")
    groups = conflicts.applicant_groups(db.session, call)
    form = forms.declare_form(groups)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            ticked = [gid for gid, _name in groups if form[f"tie_{gid}"].data]
            reasons = {gid: form[f"reason_{gid}"].data or "" for gid, _name in groups}
            try:
                recusal.declare(db.session, current_user, call, ticked, bool(form.none_confirmed.data), reasons)
            except DomainError as error:
                form_error(form, error)
            else:
                flash(_("Your declaration is recorded."), "success")
                return redirect(url_for("panels.organizer_ties", call_id=call.id))
    member_of = conflicts.memberships_of(db.session, current_user.id)
    return render_template(
        "panels/organizer_ties.html", call=call, form=form, groups=groups,
        recorded=recusal.ties_of(db.session, current_user.id, call),
        found={gid: ConflictSource.MEMBERSHIP for gid, _name in groups if gid in member_of},
        recused=recusal.for_page(db.session, current_user, call)), status


@bp.route("/panels/<member_id>/withdraw", methods=["POST"])
@login_required
def withdraw(member_id: str) -> Any:
    member = load_or_404(PanelMember, member_id, "panel:withdraw")
    form = forms.WithdrawForm()
    if form.validate_on_submit():
        try:
            services.withdraw(db.session, current_user, member, form.reason.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("You are no longer on this panel. Thank you for letting us know."), "success")
            if permissions.can(current_user, "panel:view", member):
                return redirect(url_for("panels.respond", member_id=member.id))
            return redirect(url_for("panels.panel", call_id=member.call_id))
    if not permissions.can(current_user, "panel:view", member):  # an organizer using the expert's form
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return _render_panel(member.call, 422)
    return _render_member(member, 422, withdraw_form=form)

