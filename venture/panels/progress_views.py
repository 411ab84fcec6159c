"""The organizer's view of review progress, and reminder e-mails.

Organizers see the reviewers' names here (they know their panel); reviewers
never reach this page: it is guarded by call:manage.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from venture.calls.models import Call
from venture.core.errors import DomainError
from venture.extensions import db
from venture.panels import progress as service
from venture.panels import recusal
from venture.panels.views import bp
from venture.review.models import PanelMember
from venture.web import load_or_404


@bp.route("/calls/<call_id>/progress")
@login_required
def progress(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    progress = service.call_progress(db.session, call)
    recused = recusal.for_page(db.session, current_user, call)
    if recused.hidden:  # the proposals of groups the organizer is tied to are left out, totals too
        progress.proposals = [p for p in progress.proposals if not recused.hides_proposal(p.proposal_id)]
    return render_template("panels/progress.html", call=call, progress=progress, recused=recused,
                           format_timedelta=format_timedelta)


@bp.route("/calls/<call_id>/progress/remind", methods=["POST"])
@login_required
def send_reminders(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:manage")
    member = None
    if request.form.get("member_id", "").strip():
        member = load_or_404(PanelMember, request.form["member_id"].strip())
        if member.call_id != call.id:
            raise NotFound()
    try:
        result = service.remind(db.session, current_user, call, member)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(result.message, "success" if result else "info")
    return redirect(url_for("panels.progress", call_id=call.id))
