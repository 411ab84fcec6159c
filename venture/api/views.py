"""Read-only JSON endpoints, registered under ``/api/v1``.

Every answer is public and the same for everyone, so it may be cached for a
minute by anyone and read from any site (CORS ``*``, GET only). Nothing
here depends on who asks: an organizer gets no more than a stranger.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException, NotFound

from venture.api import openapi, serialise
from venture.calls.models import Call, Phase
from venture.core.site import site_url
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.panels import public as panels_public
from venture.results import objections, public
from venture.results.models import ResultStage
from venture.web import MAX_ID

bp = Blueprint("api", __name__)
CACHE = "public, max-age=60"


@bp.after_request
def _headers(response: Response) -> Response:
    if request.method in ("GET", "HEAD"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Cache-Control"] = CACHE
    return response


def _error(error: HTTPException) -> Any:
    code = error.code or 500
    return jsonify(error={"code": code, "message": error.name}), code


# Per status code: the application's HTML pages for these codes would win over a class-wide handler.
for _code in (400, 404, 405, 429):
    bp.register_error_handler(_code, _error)


def _public_call(call_id: str) -> Call:
    """A call that is not a draft, or 404 (the same answer as for no call at all)."""
    try:
        key = int(call_id)
    except (TypeError, ValueError, OverflowError):
        raise NotFound() from None
    call = db.session.get(Call, key) if 0 < key <= MAX_ID else None
    if call is None or not call.is_public:
        raise NotFound()
    return call


@bp.route("/calls")
def calls() -> Any:
    now = utcnow()
    rows = db.session.scalars(select(Call).where(Call.phase != Phase.DRAFT)
                              .options(selectinload(Call.body), selectinload(Call.criteria))
                              .order_by(Call.closes_at.desc(), Call.id.desc())).all()
    commitments = panels_public.commitments_for(db.session, list(rows))
    return jsonify(calls=[serialise.call_json(call, now, commitments[call.id]) for call in rows], count=len(rows))


@bp.route("/calls/<call_id>")
def call(call_id: str) -> Any:
    found = _public_call(call_id)
    return jsonify(serialise.call_json(found, utcnow(), panels_public.commitments(db.session, found)))


@bp.route("/calls/<call_id>/results")
def results(call_id: str) -> Any:
    found = _public_call(call_id)
    record = public.record_for(db.session, found)
    if record is None:
        raise NotFound()
    return jsonify(serialise.results_json(db.session, found, record))


@bp.route("/calls/<call_id>/results/<stage>", endpoint="result_record")
def result_record(call_id: str, stage: str) -> Any:
    """One frozen record (the proposed result stays public after the final one is out)."""
    found = _public_call(call_id)
    try:
        wanted = ResultStage(stage)
    except ValueError:
        raise NotFound() from None
    record = public.records_of(db.session, found).get(wanted)
    if record is None:
        raise NotFound()
    return jsonify(serialise.record_json(db.session, found, record))


@bp.route("/calls/<call_id>/draws")
def draws(call_id: str) -> Any:
    found = _public_call(call_id)
    listed = serialise.draws_json(db.session, found)
    if listed is None:
        raise NotFound()
    return jsonify(listed)


@bp.route("/calls/<call_id>/objections", endpoint="objections")
def objections_list(call_id: str) -> Any:
    found = _public_call(call_id)
    if public.record_for(db.session, found) is None:
        raise NotFound()
    return jsonify(serialise.objections_json(found, objections.public_list(db.session, found)))


@bp.route("/checkpoints")
def checkpoints() -> Any:
    """The signed checkpoints of the audit chain, oldest first, and the key that checks them."""
    from venture.audit import checkpoints as audit_checkpoints

    return jsonify(audit_checkpoints.published(db.session))


@bp.route("/openapi.json", endpoint="openapi")
def openapi_document() -> Any:
    return jsonify(openapi.document(site_url(current_app, request.script_root)))  # never the Host header

