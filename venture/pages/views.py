from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import select, text

from venture.bodies.models import OrganizingBody
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.groups import services as groups

bp = Blueprint("pages", __name__)


@bp.route("/")
def home() -> Any:
    my_groups = groups.groups_of(db.session, current_user) if current_user.is_authenticated else []
    bodies = db.session.scalars(select(OrganizingBody).order_by(OrganizingBody.name).limit(12)).all()
    now = utcnow()
    open_calls = db.session.scalars(select(Call).where(Call.phase == Phase.OPEN, Call.closes_at > now)
                                    .order_by(Call.closes_at).limit(6)).all()
    return render_template("pages/home.html", my_groups=my_groups, bodies=bodies, open_calls=open_calls,
                           now=now)


@bp.route("/about")
def about() -> Any:
    return render_template("pages/about.html")


@bp.route("/healthz")
def healthz() -> Any:
    """200 when the database answers and the search index can be opened;
    503 naming what failed otherwise (for the load balancer and monitoring)."""
    from flask import current_app

    from venture.search.index import get_index

    checks = {"database": "ok", "search_index": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        checks["database"] = "unreachable"
    search_index = get_index()
    try:
        with search_index.searcher() as searcher:
            searcher.doc_count()
    except Exception:  # noqa: BLE001 - an unreadable or corrupt index (or folder) means unhealthy
        current_app.logger.exception("healthz: the search index cannot be opened")
        search_index.reset()
        checks["search_index"] = "unavailable"
    failed = [name for name, state in checks.items() if state != "ok"]
    if failed:
        return jsonify(status="error", reason=failed[0], **checks), 503
    return jsonify(status="ok", **checks)
