"""Public objects as JSON-ready dictionaries. Money in whole fen (integers),
scores and weights as decimal strings (exact, as in the result record),
times as ISO 8601 in UTC."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from venture.calls.models import Call
from venture.panels import public as panels_public
from venture.results import objections, public
from venture.results.models import ResultRecord, ResultStage


def moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def decimal(value: Decimal | None) -> str | None:
    return format(value, "f") if value is not None else None


def call_json(call: Call, now: datetime, commitments: list[dict[str, Any]]) -> dict[str, Any]:
    """``commitments``: the call's draw commitments (``panels.public.commitments_for``)."""
    released = public.is_released(call)
    tie = next((c for c in call.criteria if c.position == call.tie_criterion_position), None)
    return {
        "id": call.id,
        "title": call.title,
        "summary": call.summary,
        "kind": call.kind.value,
        "body": {"id": call.body_id, "name": call.body.name},
        "phase": call.effective_phase(now).value,
        "dates": {
            "opens_at": moment(call.opens_at), "closes_at": moment(call.closes_at),
            "notice_opened_at": moment(call.notice_opened_at), "notice_ends_at": moment(call.notice_ends_at),
            "results_published_at": moment(call.results_published_at),
        },
        "budget": {"currency": "CNY", "total_fen": call.total_budget_fen, "min_grant_fen": call.min_grant_fen,
                   "max_grant_fen": call.max_grant_fen},
        "themes": list(call.themes or []),
        "districts": list(call.districts or []),
        "criteria": [{"position": c.position, "name": c.name, "weight": c.weight, "max_points": decimal(c.max_points)}
                     for c in call.criteria],
        "method": {
            "name": call.aggregation_method, "normalise": call.normalise_scores,
            "component_weight": decimal(call.component_weight), "component_label": call.component_label,
            "minimum_score": decimal(call.min_fundable_score), "reviewers_per_proposal": call.reviewers_per_proposal,
            "disagreement_threshold": decimal(call.disagreement_threshold),
            "tie_criterion": {"position": tie.position, "name": tie.name} if tie else None,
            "notice_days": call.notice_days,
        },
        "draw_commitments": commitments,
        "links": {
            "self": url_for("api.call", call_id=call.id, _external=True),
            "html": url_for("calls.show", call_id=call.id, _external=True),
            "results": url_for("api.results", call_id=call.id, _external=True) if released else None,
            "objections": url_for("api.objections", call_id=call.id, _external=True) if released else None,
            "draws": url_for("api.draws", call_id=call.id, _external=True) if released else None,
        },
    }


def _record_links(call: Call, stage: ResultStage) -> dict[str, str]:
    return {
        "self": url_for("api.result_record", call_id=call.id, stage=stage.value, _external=True),
        "html": url_for("results_public.results", call_id=call.id, stage=stage.value, _external=True),
        "csv": url_for("results_public.results_csv", call_id=call.id, stage=stage.value, _external=True),
        "xlsx": url_for("results_public.results_xlsx", call_id=call.id, stage=stage.value, _external=True),
    }


def results_json(session: Session, call: Call, record: ResultRecord) -> dict[str, Any]:
    content = public.public_content(record)
    records = public.records_of(session, call)
    return {
        **content,
        "notice_ends_at": moment(call.notice_ends_at),
        "results_published_at": moment(call.results_published_at),
        "record": {"stage": record.stage.value, "created_at": moment(record.created_at),
                   "fingerprint": record.fingerprint, "chain_seq": record.chain_seq, "chain_head": record.chain_head},
        "records": {stage.value: None if stage not in records else {
            "fingerprint": records[stage].fingerprint, "created_at": moment(records[stage].created_at),
            "url": _record_links(call, stage)["self"]} for stage in ResultStage},
        "links": {
            "html": url_for("results_public.results", call_id=call.id, _external=True),
            "csv": url_for("results_public.results_csv", call_id=call.id, _external=True),
            "xlsx": url_for("results_public.results_xlsx", call_id=call.id, _external=True),
            "draws": url_for("api.draws", call_id=call.id, _external=True),
            "verifier": url_for("results_public.verifier", _external=True),
        },
    }


def record_json(session: Session, call: Call, record: ResultRecord) -> dict[str, Any]:
    """A frozen record exactly as stored, with what is needed to check it:
    ``fingerprint`` is the SHA-256 of the canonical JSON of ``content``, and
    ``audit_entry`` is the audit log's entry whose hash is ``chain_head``."""
    return {
        "call": call.id,
        "stage": record.stage.value,
        "created_at": moment(record.created_at),
        "fingerprint": record.fingerprint,
        "chain_seq": record.chain_seq,
        "chain_head": record.chain_head or None,
        "audit_entry": public.sealing_entry(session, record),
        "content": public.published_content(record),
        "links": _record_links(call, record.stage),
    }


def draws_json(session: Session, call: Call) -> dict[str, Any] | None:
    found = panels_public.draws(session, call)
    if found is None:
        return None
    return {**found, "links": {"html": url_for("results_public.draws_page", call_id=call.id, _external=True)}}


def objections_json(call: Call, listed: list[objections.PublicObjection]) -> dict[str, Any]:
    return {
        "call": call.id,
        "objections": [{
            "number": item.number,
            "lodged_at": moment(item.created_at),
            "line": {"number": item.line_number, "title": item.line_title} if item.line_number else None,
            "text": item.text,
            "status": item.status.value,
            "answer": item.answer or None,
            "answered_at": moment(item.answered_at),
            "attachment": url_for("results_public.objection_file", call_id=call.id, objection_id=item.id,
                                  _external=True) if item.has_attachment else None,
        } for item in listed],
    }
