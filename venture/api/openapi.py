"""The OpenAPI 3.1 description of ``/api/v1``, written by hand. A test
checks that it names exactly the routes the application serves."""
from __future__ import annotations

from typing import Any

VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATE_TIME = {"type": "string", "format": "date-time"}
DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "A decimal number, written exactly."}
FEN = {"type": "integer", "minimum": 0, "description": "Money in fen (1 yuan = 100 fen)."}
URL = {"type": "string", "format": "uri"}
EXACT = {"type": "string", "pattern": r"^-?\d+(\.\d+)?(e[+-]?\d+)?$",
         "description": "An unrounded number: the shortest text that reads back as the same IEEE 754 double."}
HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "A SHA-256 digest in lowercase hex."}
LETTER = {"type": "string", "pattern": "^[A-Z]+$", "description": "A reviewer's pseudonym for the whole call."}


def _object(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or list(properties), **extra}


SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": _object({"code": INTEGER, "message": STRING})}),
    "Criterion": _object({"position": INTEGER, "name": STRING, "weight": INTEGER, "max_points": DECIMAL}),
    "TieCriterion": _object({"position": INTEGER, "name": STRING}),
    "CallMethod": _object({
        "name": {"type": "string", "enum": ["mean", "trimmed"]},
        "normalise": BOOLEAN, "component_weight": DECIMAL, "component_label": STRING, "minimum_score": DECIMAL,
        "reviewers_per_proposal": INTEGER, "disagreement_threshold": DECIMAL,
        "tie_criterion": _nullable(_ref("TieCriterion")), "notice_days": INTEGER,
    }),
    "Call": _object({
        "id": INTEGER, "title": STRING, "summary": STRING,
        "kind": {"type": "string", "enum": ["social_venture", "micro_livelihood"]},
        "body": _object({"id": INTEGER, "name": STRING}),
        "phase": {"type": "string", "enum": ["open", "closed", "review", "notice", "published", "cancelled"]},
        "dates": _object({"opens_at": DATE_TIME, "closes_at": DATE_TIME,
                          "notice_opened_at": _nullable(DATE_TIME), "notice_ends_at": _nullable(DATE_TIME),
                          "results_published_at": _nullable(DATE_TIME)}),
        "budget": _object({"currency": {"const": "CNY"}, "total_fen": FEN, "min_grant_fen": FEN,
                           "max_grant_fen": FEN}),
        "themes": {"type": "array", "items": STRING},
        "districts": {"type": "array", "items": STRING},
        "criteria": {"type": "array", "items": _ref("Criterion")},
        "method": _ref("CallMethod"),
        "draw_commitments": {"type": "array", "items": _ref("DrawCommitment"),
                             "description": "Commitments to the panel draws, public from the moment they are made."},
        "links": _object({"self": URL, "html": URL, "results": _nullable(URL), "objections": _nullable(URL),
                          "draws": _nullable(URL)}),
    }),
    "DrawCommitment": _object({
        "digest": HASH, "committed_at": DATE_TIME, "used": BOOLEAN, "draw": _nullable(INTEGER),
        "secret": _nullable(STRING),
    }, description="SHA-256 of a secret fixed before a panel draw; the draw reveals the secret (shown from the "
                   "public notice on)."),
    "CallList": _object({"calls": {"type": "array", "items": _ref("Call")}, "count": INTEGER}),
    "ResultMethod": _object({
        "name": {"type": "string", "enum": ["mean", "trimmed"]}, "trim_from": _nullable(INTEGER),
        "trim_each_side": _nullable(INTEGER),
        "normalise": BOOLEAN,
        "component_weight": _nullable(DECIMAL), "component_label": _nullable(STRING),
        "minimum_score": _nullable(DECIMAL), "budget_fen": _nullable(FEN),
        "reviewers_per_proposal": _nullable(INTEGER), "disagreement_threshold": _nullable(DECIMAL),
        "tie_criterion": _nullable(_ref("TieCriterion")),
    }),
    "Adjustment": _object({"amount_fen": _nullable(FEN), "set_aside": BOOLEAN, "reason": STRING}),
    "ResultLine": _object({
        "rank": INTEGER, "proposal": INTEGER, "number": STRING, "title": STRING, "group": STRING,
        "group_kind": {"type": "string", "enum": ["registered", "grassroots"]},
        "theme": _nullable(STRING), "district": _nullable(STRING), "request_fen": FEN, "amount_fen": FEN,
        "outcome": {"type": "string", "enum": ["funded", "below_minimum", "no_score", "set_aside", "does_not_fit"]},
        "score": _nullable(DECIMAL), "component": _nullable(DECIMAL), "final": _nullable(DECIMAL),
        "criteria_means": {"type": "object", "additionalProperties": DECIMAL,
                           "description": "The mean score on each criterion, keyed by its position."},
        "reviews": INTEGER, "missing": INTEGER,
        "notes": {"type": "array", "items": {"type": "string",
                                             "enum": ["trimmed", "incomplete", "no_reviews", "no_component"]}},
        "adjustment": _nullable(_ref("Adjustment")),
        "first_submitted_at": _nullable(DATE_TIME),
        "score_exact": _nullable(EXACT),
        "review_scores": {"type": "array", "items": _ref("ReviewScore"),
                          "description": "Every counted review, by reviewer pseudonym."},
        "reviews_not_counted": {"type": "array", "items": _ref("ReviewNotCounted")},
    }),
    "ReviewScore": _object({
        "reviewer": LETTER,
        "scores": {"type": "object", "additionalProperties": DECIMAL,
                   "description": "The points on each criterion, keyed by its position."},
        "total": DECIMAL, "used": _nullable(EXACT), "dropped": BOOLEAN,
    }),
    "ReviewNotCounted": _object({
        "reviewer": LETTER,
        "reason": {"type": "string",
                   "enum": ["conflict", "withdrawn", "moved", "superseded", "not_submitted", "ended"]},
    }),
    "ScreeningOutcome": _object({
        "number": STRING, "outcome": {"type": "string", "enum": ["eligible", "ineligible", "pending"]},
        "category": {"type": "string", "enum": ["meets_conditions", "applicant_kind", "amount", "attachments", "area",
                                                "conditions", "incomplete", "not_recorded"]},
    }),
    "RecordRef": _object({"fingerprint": STRING, "created_at": DATE_TIME, "url": URL}),
    "AuditEntry": _object({
        "payload": _object({"seq": INTEGER, "at": STRING, "actor": _nullable(INTEGER), "action": STRING,
                            "object": {"type": "array"}, "data": {"type": "object"}}),
        "prev_hash": HASH, "entry_hash": HASH,
    }, description="An audit log entry: entry_hash = SHA-256 of prev_hash followed by the canonical JSON of payload."),
    "Record": _object({
        "call": INTEGER, "stage": {"type": "string", "enum": ["proposed", "final"]}, "created_at": DATE_TIME,
        "fingerprint": STRING, "chain_seq": _nullable(INTEGER), "chain_head": _nullable(STRING),
        "audit_entry": _nullable(_ref("AuditEntry")),
        "content": {"type": "object", "description": "The record's content exactly as stored: its fingerprint is "
                                                     "the SHA-256 of its canonical JSON (docs/REVIEW.md)."},
        "links": _object({"self": URL, "html": URL, "csv": URL, "xlsx": URL}),
    }),
    "Witness": _object({"name": STRING, "role": STRING, "value": STRING}),
    "Draw": _object({
        "number": INTEGER, "made_at": DATE_TIME,
        "method": {"type": "string", "enum": ["ceremony", "replacement", "server"]},
        "seed": STRING,
        "commitment": _nullable(_object({"id": INTEGER, "digest": HASH, "committed_at": DATE_TIME, "secret": STRING,
                                         "audit_entry": _nullable(_ref("AuditEntry"))})),
        "witnesses": {"type": "array", "items": _ref("Witness")},
        "chain_seq": _nullable(INTEGER), "chain_head": _nullable(STRING), "parent_draw": _nullable(INTEGER),
        "replaces_member": _nullable(INTEGER), "size": INTEGER,
        "minimums": {"type": "object", "additionalProperties": INTEGER},
        "pool": {"type": "array", "items": _object({"expert": INTEGER, "areas": {"type": "array", "items": STRING}})},
        "chosen": {"type": "array", "items": INTEGER},
        "shortfalls": {"type": "object", "additionalProperties": INTEGER}, "short_by": INTEGER,
        "discarded": _nullable(_object({"at": DATE_TIME, "reason": STRING})),
        "audit_entry": _nullable(_ref("AuditEntry")),
    }, description="A panel draw: its seed's inputs, the pool under the experts' pool numbers, and its result."),
    "DrawList": _object({
        "call": INTEGER, "algorithm": {"type": "object"},
        "commitments": {"type": "array", "items": _ref("DrawCommitment")},
        "draws": {"type": "array", "items": _ref("Draw")},
        "panel": _object({"members": INTEGER, "accepted": INTEGER, "accepted_drawn": INTEGER,
                          "accepted_added_by_hand": INTEGER}),
        "links": _object({"html": URL}),
    }),
    "Totals": _object({"funded": INTEGER, "amount_fen": FEN, "budget_fen": FEN, "proposals": INTEGER}),
    "Change": _object({
        "proposal": INTEGER, "number": STRING, "what": STRING, "before": {}, "after": {}, "reason": STRING,
        "objection": _nullable(INTEGER),
    }, description="A change made between the proposed and the final result."),
    "Result": _object({
        "call": INTEGER, "stage": {"type": "string", "enum": ["proposed", "final"]},
        "computed_at": _nullable(DATE_TIME), "method": _ref("ResultMethod"),
        "criteria": {"type": "array", "items": _ref("Criterion")},
        "lines": {"type": "array", "items": _ref("ResultLine")},
        "totals": _ref("Totals"),
        "changes": {"type": "array", "items": _ref("Change")},
        "format": INTEGER, "proposed_fingerprint": _nullable(STRING),
        "screening": {"type": "array", "items": _ref("ScreeningOutcome")},
        "records": _object({"proposed": _nullable(_ref("RecordRef")), "final": _nullable(_ref("RecordRef"))},
                           description="Both frozen records; the proposed one stays public after the final one."),
        "notice_ends_at": _nullable(DATE_TIME), "results_published_at": _nullable(DATE_TIME),
        "record": _object({"stage": {"type": "string", "enum": ["proposed", "final"]}, "created_at": DATE_TIME,
                           "fingerprint": STRING, "chain_seq": _nullable(INTEGER), "chain_head": STRING},
                          description="The frozen record and the head of the audit chain right after it was "
                                      "written: compare it with `flask --app venture audit verify`."),
        "links": _object({"html": URL, "csv": URL, "xlsx": URL, "draws": URL, "verifier": URL}),
    }),
    "Objection": _object({
        "number": INTEGER, "lodged_at": DATE_TIME,
        "line": _nullable(_object({"number": STRING, "title": _nullable(STRING)})),
        "text": STRING, "status": {"type": "string", "enum": ["open", "upheld", "rejected"]},
        "answer": _nullable(STRING), "answered_at": _nullable(DATE_TIME), "attachment": _nullable(URL),
    }, description="An objection lodged during the public notice. The objector is never named."),
    "ObjectionList": _object({"call": INTEGER, "objections": {"type": "array", "items": _ref("Objection")}}),
    "Checkpoint": _object({
        "sequence": {"type": "integer", "minimum": 1, "description": "The audit entry's number."},
        "head": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                 "description": "The SHA-256 (hex) of the audit entry at that sequence."},
        "time": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
                 "description": "When it was signed: UTC, ISO 8601, to the second."},
        "reason": {"type": "string", "description": "Why it was made, e.g. phase:notice or daily."},
        "signature": {"type": "string", "description": "Base64 of the 64-byte Ed25519 signature of the UTF-8 "
                                                       "text venture-checkpoint:v1:{sequence}:{head}:{time}."},
    }, description="A signed statement that the audit chain had this head at this sequence."),
    "CheckpointList": _object({
        "algorithm": {"const": "Ed25519"},
        "public_key": {"type": "string", "description": "Base64 of the raw 32-byte Ed25519 public key."},
        "checkpoints": {"type": "array", "items": _ref("Checkpoint"), "description": "Ordered by sequence."},
    }),
}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


NOT_FOUND = _json("Error", "No such public call, or (for results and objections) its public notice has not "
                           "opened yet.")
CALL_ID = {"name": "call_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
STAGE = {"name": "stage", "in": "path", "required": True,
         "schema": {"type": "string", "enum": ["proposed", "final"]}}

PATHS: dict[str, Any] = {
    "/api/v1/calls": {"get": {
        "operationId": "listCalls", "summary": "Every public call (drafts are never listed).",
        "responses": {"200": _json("CallList", "The calls, latest closing first.")},
    }},
    "/api/v1/calls/{call_id}": {"get": {
        "operationId": "getCall", "summary": "One public call: its rules, rubric and scoring method.",
        "parameters": [CALL_ID],
        "responses": {"200": _json("Call", "The call."), "404": NOT_FOUND},
    }},
    "/api/v1/calls/{call_id}/results": {"get": {
        "operationId": "getResults",
        "summary": "The result shown in public: the proposed result during the notice, then the final one.",
        "description": "Nothing of a result is public before its notice opens: until then this answers 404.",
        "parameters": [CALL_ID],
        "responses": {"200": _json("Result", "The frozen result record."), "404": NOT_FOUND},
    }},
    "/api/v1/calls/{call_id}/results/{stage}": {"get": {
        "operationId": "getResultRecord",
        "summary": "One frozen record – the proposed result of the notice, or the final one – exactly as stored, "
                   "with its fingerprint and the audit entry that sealed it.",
        "description": "Everything needed to recompute the result is in the record: every counted review's "
                       "points under the reviewers' pseudonyms, the reviews not counted and why, the screening "
                       "outcomes, the first submission times and the method. 404 before the notice, and for the "
                       "final record until it exists.",
        "parameters": [CALL_ID, STAGE],
        "responses": {"200": _json("Record", "The record."), "404": NOT_FOUND},
    }},
    "/api/v1/calls/{call_id}/draws": {"get": {
        "operationId": "listDraws",
        "summary": "Every panel draw of the call, discarded ones included, with its seed's inputs, pool and result.",
        "description": "Public from the notice on: until then this answers 404 (the commitments are in the call).",
        "parameters": [CALL_ID],
        "responses": {"200": _json("DrawList", "The draws in the order they were made."), "404": NOT_FOUND},
    }},
    "/api/v1/calls/{call_id}/objections": {"get": {
        "operationId": "listObjections", "summary": "Objections to the result and the organizer's answers.",
        "parameters": [CALL_ID],
        "responses": {"200": _json("ObjectionList", "The objections in the order they were lodged."),
                      "404": NOT_FOUND},
    }},
    "/api/v1/checkpoints": {"get": {
        "operationId": "listCheckpoints",
        "summary": "The signed checkpoints of the audit chain and the public key that checks them.",
        "description": "Made at every phase change of a call and at least daily. Keep a copy: the audit chain "
                       "must later still have each checkpoint's head at its sequence.",
        "responses": {"200": _json("CheckpointList", "Every checkpoint, ordered by sequence.")},
    }},
    "/api/v1/openapi.json": {"get": {
        "operationId": "getOpenAPI", "summary": "This document.",
        "responses": {"200": {"description": "The OpenAPI 3.1 document.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
}


def document(server: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Venture open data API",
            "version": VERSION,
            "description": "Read-only public data: calls, and from the public notice on their results and "
                           "objections; the signed checkpoints of the audit log. Responses may be cached for 60 "
                           "seconds and read from any origin. "
                           "Nothing is exposed that the public pages do not show.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": server or "/"}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }


# Funded projects describe their own part of the API.
from venture.projects.openapi import PATHS as _PROJECT_PATHS  # noqa: E402
from venture.projects.openapi import SCHEMAS as _PROJECT_SCHEMAS  # noqa: E402

SCHEMAS.update(_PROJECT_SCHEMAS)
PATHS.update(_PROJECT_PATHS)
