"""Funded projects in the open data API (``/api/v1/projects``): what the
public may know, the same for everyone. Only what is settled is shown: the
agreement once accepted, tranches as planned, paid or cut (a tranche released
or withheld but not paid reads "planned"), milestones as accepted or
pending, and evaluations once finalised. Drafts, report contents under
review, score sheets, receipts and reasons never appear."""
from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import NotFound

from venture.api.serialise import moment
from venture.api.views import bp
from venture.calls.models import Call, Phase
from venture.extensions import db
from venture.projects.models import Project, ReportStatus, TrancheStatus
from venture.web import MAX_ID

PUBLIC_TRANCHE = {TrancheStatus.PAID: "paid", TrancheStatus.CUT: "cut"}


def _query() -> Any:
    return (select(Project).join(Call, Call.id == Project.call_id).where(Call.phase == Phase.PUBLISHED)
            .options(joinedload(Project.call).joinedload(Call.body), joinedload(Project.group),
                     joinedload(Project.agreement), selectinload(Project.milestones),
                     selectinload(Project.tranches), selectinload(Project.evaluations)))


def project_json(project: Project) -> dict[str, Any]:
    agreement = project.agreement
    accepted = agreement is not None and agreement.accepted_at is not None
    return {
        "id": project.id,
        "number": project.number,
        "title": project.title,
        "call": {"id": project.call_id, "title": project.call.title},
        "body": {"id": project.call.body_id, "name": project.call.body.name},
        "group": {"name": project.group.name, "kind": project.group.kind.value},
        "stage": project.stage.value,
        "approved_fen": project.approved_fen,
        "agreement": {
            "accepted_at": moment(agreement.accepted_at), "starts_on": agreement.content["period"]["starts_on"],
            "ends_on": agreement.content["period"]["ends_on"], "fingerprint": agreement.fingerprint,
            "budget": [{"item": line["item"], "amount_fen": line["amount_fen"]} for line in agreement.content["budget"]],
            "promised": [{"title": p["title"], "text": p["text"]} for p in agreement.content.get("promised") or []],
            "beneficiaries_target": agreement.content.get("beneficiaries_target"),
        } if accepted and agreement is not None else None,
        "tranches": {
            "planned_fen": project.approved_fen, "paid_fen": project.paid_fen, "cut_fen": project.cut_fen,
            "remaining_fen": project.remaining_fen,
            "items": [{"position": t.position, "label": t.label, "condition": t.condition.value,
                       "planned_fen": t.planned_fen, "status": PUBLIC_TRANCHE.get(t.status, "planned"),
                       "paid_fen": t.paid_fen if t.status is TrancheStatus.PAID else None,
                       "paid_on": t.paid_on.isoformat() if t.status is TrancheStatus.PAID and t.paid_on else None}
                      for t in project.tranches],
        },
        "milestones": [{"position": m.position, "title": m.title, "kind": m.kind.value, "due_on": m.due_on.isoformat(),
                        "status": "accepted" if m.status is ReportStatus.ACCEPTED else "pending",
                        "accepted_at": moment(m.accepted_at)} for m in project.milestones] if accepted else [],
        "evaluations": [{
            "stage": e.stage.value, "score": format(e.score, "f") if e.score is not None else None,
            "band": e.band.value if e.band else None, "finalised_at": moment(e.finalised_at),
            "fingerprint": e.fingerprint,
            "dimensions": [{"key": d["key"], "name": d["name"], "weight": d["weight"], "mean": d["mean"]}
                           for d in (e.content or {}).get("dimensions") or []],
            "satisfaction": {"weight": (e.content or {}).get("satisfaction", {}).get("weight"),
                             "value": (e.content or {}).get("satisfaction", {}).get("value"),
                             "points": (e.content or {}).get("satisfaction", {}).get("points")},
        } for e in project.evaluations if e.is_finalised],
        "links": {
            "self": url_for("api.project", project_id=project.id, _external=True),
            "results": url_for("results_public.results", call_id=project.call_id, _external=True),
        },
    }


@bp.route("/projects")
def projects() -> Any:
    rows = db.session.scalars(_query().order_by(Project.call_id.desc(), Project.result_rank, Project.id)).unique().all()
    return jsonify(projects=[project_json(p) for p in rows], count=len(rows))


@bp.route("/projects/<project_id>")
def project(project_id: str) -> Any:
    try:
        key = int(project_id)
    except (TypeError, ValueError, OverflowError):
        raise NotFound() from None
    found = db.session.scalars(_query().where(Project.id == key)).unique().first() if 0 < key <= MAX_ID else None
    if found is None:
        raise NotFound()
    return jsonify(project_json(found))
