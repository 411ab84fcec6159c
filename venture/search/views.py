"""The search page: one box for calls, public proposals and visible comments."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from venture.core.l10n import gettext as _
from venture.extensions import db
from venture.search import services
from venture.search.forms import FILTERS, SearchForm
from venture.search.index import MAX_QUERY_CHARS, LockError
from venture.showcase.visibility import panel_call_ids

bp = Blueprint("search", __name__)


@bp.route("/search")
def search() -> Any:
    form = SearchForm(request.args)
    form.set_choices(services.filter_choices(db.session))
    form.check()
    typed = request.args.get("q", "")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    status = 200
    try:
        services.drain_if_waiting(app, db.session)
        results = services.search(form.q.data, form.filters(), form.page_number(),
                                  hidden_calls=panel_call_ids(current_user.id))
    except (LockError, OSError):
        app.logger.exception("search: the index cannot be read")
        results = services.Results(query=form.q.data or "",
                                   message=_("Search is not available at the moment. Please try again later."))
        status = 503
    return render_template("search/results.html", form=form, results=results, filter_names=FILTERS,
                           truncated=len(typed.strip()) > MAX_QUERY_CHARS, max_chars=MAX_QUERY_CHARS), status
