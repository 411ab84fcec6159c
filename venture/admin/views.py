from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from venture import permissions
from venture.accounts.models import User
from venture.bodies.models import OrganizingBody
from venture.extensions import db
from venture.groups.models import Group

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _only_admins() -> None:
    permissions.require(current_user, "admin:access")


@bp.route("/")
def dashboard() -> Any:
    counts = {
        "users": db.session.scalar(select(func.count(User.id)).where(User.deleted_at.is_(None))),
        "groups": db.session.scalar(select(func.count(Group.id))),
        "bodies": db.session.scalar(select(func.count(OrganizingBody.id))),
    }
    bodies = db.session.scalars(select(OrganizingBody).order_by(OrganizingBody.name)).all()
    return render_template("admin/dashboard.html", counts=counts, bodies=bodies)


@bp.route("/users")
def users() -> Any:
    query_text = request.args.get("q", "").strip()[:100]
    query = select(User).where(User.deleted_at.is_(None)).order_by(User.id.desc()).limit(50)
    if query_text:
        pattern = f"%{query_text.lower()}%"
        query = query.where(or_(User.email.like(pattern), func.lower(User.display_name).like(pattern)))
    return render_template("admin/users.html", users=db.session.scalars(query).all(), q=query_text)
