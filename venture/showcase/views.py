from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from venture import permissions
from venture.calls.models import CALL_KIND_LABELS, Call
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.extensions import db
from venture.proposals.models import Proposal
from venture.showcase import services, visibility
from venture.web import load_or_404

bp = Blueprint("showcase", __name__)


def _public(proposal_id: str) -> Proposal:
    """A public proposal, or 404 (never 403: drafts must not be discoverable)."""
    proposal = load_or_404(Proposal, proposal_id)
    if not permissions.can(current_user, "proposal:view_public", proposal):
        raise NotFound()
    return proposal


def _hidden_calls() -> set[int]:
    return visibility.panel_call_ids(current_user.id)


@bp.route("/proposals/<proposal_id>")
def proposal(proposal_id: str) -> Any:
    found = load_or_404(Proposal, proposal_id)
    if visibility.hidden_from(current_user.id, found):
        # A panel member of the call: their own assignment opens blind, nothing else opens.
        from venture.review.services import viewable_assignment

        assignment = viewable_assignment(db.session, current_user, found)
        if assignment is None:
            raise NotFound()
        return redirect(url_for("review.assignment", assignment_id=assignment.id))
    proposal = _public(proposal_id)
    version = proposal.latest_version
    content = visibility.face_of(proposal)
    context: dict[str, Any] = {}
    try:
        from venture.comments.views import thread_context
    except ImportError:  # comments arrive with their own package
        thread_context = None
    if thread_context is not None:
        context = thread_context(proposal)
    return render_template(
        "showcase/proposal.html", proposal=proposal, version=version, content=content, call=proposal.call,
        named=visibility.identity_revealed(proposal.call),
        public_attachments=visibility.public_attachment_ids(proposal),
        withheld_attachments=visibility.withheld_attachment_ids(proposal),
        supported=services.supports(db.session, current_user, proposal), **context)


@bp.route("/proposals/<proposal_id>/support", methods=["POST"])
@login_required
def support(proposal_id: str) -> Any:
    proposal = _public(proposal_id)
    withdraw = request.form.get("withdraw") == "1"
    if not withdraw:
        permissions.require(current_user, "proposal:support", proposal)
    try:
        if withdraw:
            services.withdraw_support(db.session, current_user, proposal)
        else:
            services.support(db.session, current_user, proposal)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Your support is withdrawn.") if withdraw else _("Thank you: your support is counted."), "success")
    return redirect(url_for("showcase.proposal", proposal_id=proposal.id, _anchor="support"))


def _listing_args() -> dict[str, Any]:
    args = request.args
    sort = args.get("sort", "newest")
    return {
        "kind": args.get("kind", "") if args.get("kind", "") in {k.value for k in CALL_KIND_LABELS} else "",
        "theme": args.get("theme", "")[:60], "district": args.get("district", "")[:60],
        "sort": sort if sort in services.SORTS else "newest", "cursor": args.get("after"),
    }


@bp.route("/showcase")
def index() -> Any:
    args = _listing_args()
    calls = db.session.scalars(select(Call).where(Call.phase.in_(visibility.SHOWCASE_PHASES))
                               .order_by(Call.closes_at.desc())).all()
    call_id = request.args.get("call", "")
    chosen = next((c for c in calls if str(c.id) == call_id), None)
    page = services.listing(db.session, call_id=chosen.id if chosen else None, hidden_calls=_hidden_calls(), **args)
    return render_template("showcase/list.html", page=page, calls=calls, call=chosen, args=args,
                           faces=visibility.faces_of(db.session, page.items),
                           themes=sorted({t for c in calls for t in c.themes}),
                           districts=sorted({d for c in calls for d in c.districts}),
                           endpoint="showcase.index", identity_revealed=visibility.identity_revealed)


@bp.route("/calls/<call_id>/proposals")
def call_proposals(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:view")
    if call.phase not in visibility.SHOWCASE_PHASES:
        raise NotFound()
    args = _listing_args()
    page = services.listing(db.session, call_id=call.id, hidden_calls=_hidden_calls(), **args)
    return render_template("showcase/list.html", page=page, calls=[call], call=call, args=args,
                           faces=visibility.faces_of(db.session, page.items),
                           themes=call.themes, districts=call.districts, endpoint="showcase.call_proposals",
                           identity_revealed=visibility.identity_revealed)


@bp.route("/calls/<call_id>/feed.atom")
def feed(call_id: str) -> Any:
    call = load_or_404(Call, call_id, "call:view")
    page = services.listing(db.session, call_id=call.id, sort="newest", page_size=50, hidden_calls=_hidden_calls())
    xml = render_template("showcase/feed.atom", call=call, page=page, faces=visibility.faces_of(db.session, page.items),
                          named=visibility.identity_revealed(call))
    return Response(xml, mimetype="application/atom+xml")


# Templates ---------------------------------------------------------------------------------

# Characters XML 1.0 does not allow at all, not even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@bp.app_template_filter("xml_text")
def xml_text(value: Any) -> str:
    """Text for an XML document (the Atom feed renders with autoescape on,
    which escapes ``&`` and ``<``): without the characters XML forbids."""
    return _NOT_XML.sub("", str(value if value is not None else ""))


bp.add_app_template_global(visibility.face_of, "public_face")
bp.add_app_template_global(visibility.comment_html, "public_comment_html")
