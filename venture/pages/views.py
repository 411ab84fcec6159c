from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import select, text

from venture.bodies.models import OrganizingBody
from venture.extensions import db
from venture.groups import services as groups

bp = Blueprint("pages", __name__)


@bp.route("/")
def home() -> Any:
    my_groups = groups.groups_of(db.session, current_user) if current_user.is_authenticated else []
    bodies = db.session.scalars(select(OrganizingBody).order_by(OrganizingBody.name).limit(12)).all()
    return render_template("pages/home.html", my_groups=my_groups, bodies=bodies)


@bp.route("/about")
def about() -> Any:
    return render_template("pages/about.html")


@bp.route("/healthz")
def healthz() -> Any:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
