"""The funded projects' part of the OpenAPI document (``venture.api.openapi``)."""
from __future__ import annotations

from typing import Any

from venture.api.openapi import (
    DATE_TIME,
    DECIMAL,
    FEN,
    INTEGER,
    NOT_FOUND,
    STRING,
    URL,
    _json,
    _nullable,
    _object,
    _ref,
)

DATE = {"type": "string", "format": "date"}
STAGES = ["awaiting_agreement", "agreement_issued", "under_way", "completed", "failed"]
CONDITIONS = ["agreement_signed", "midterm_passed", "final_passed", "report_accepted"]

SCHEMAS: dict[str, Any] = {
    "ProjectAgreement": _object({
        "accepted_at": DATE_TIME, "starts_on": DATE, "ends_on": DATE,
        "fingerprint": {"type": "string", "description": "SHA-256 of the agreement's content, in the audit chain."},
        "budget": {"type": "array", "items": _object({"item": STRING, "amount_fen": FEN})},
        "promised": {"type": "array", "items": _object({"title": STRING, "text": STRING})},
        "beneficiaries_target": _nullable(INTEGER),
    }, description="The agreement, once the group has accepted it."),
    "ProjectTranche": _object({
        "position": INTEGER, "label": STRING, "condition": {"type": "string", "enum": CONDITIONS},
        "planned_fen": FEN, "status": {"type": "string", "enum": ["planned", "paid", "cut"]},
        "paid_fen": _nullable(FEN), "paid_on": _nullable(DATE),
    }),
    "ProjectMilestone": _object({
        "position": INTEGER, "title": STRING, "kind": {"type": "string", "enum": ["progress", "midterm", "final"]},
        "due_on": DATE, "status": {"type": "string", "enum": ["accepted", "pending"]},
        "accepted_at": _nullable(DATE_TIME),
    }),
    "ProjectEvaluation": _object({
        "stage": {"type": "string", "enum": ["midterm", "final"]}, "score": _nullable(DECIMAL),
        "band": _nullable({"type": "string", "enum": ["excellent", "pass", "fail"]}),
        "finalised_at": _nullable(DATE_TIME), "fingerprint": STRING,
        "dimensions": {"type": "array", "items": _object({"key": STRING, "name": STRING, "weight": INTEGER,
                                                          "mean": DECIMAL})},
        "satisfaction": _object({"weight": _nullable(INTEGER), "value": _nullable(DECIMAL),
                                 "points": _nullable(DECIMAL)}),
    }, description="A finalised evaluation on 100 points: 90 and above excellent, 60 to below 90 pass, "
                   "below 60 fail. Its score is the sum of the evaluators' mean points per dimension and the "
                   "satisfaction component."),
    "Project": _object({
        "id": INTEGER, "number": STRING, "title": STRING,
        "call": _object({"id": INTEGER, "title": STRING}), "body": _object({"id": INTEGER, "name": STRING}),
        "group": _object({"name": STRING, "kind": {"type": "string", "enum": ["registered", "grassroots"]}}),
        "stage": {"type": "string", "enum": STAGES}, "approved_fen": FEN,
        "agreement": _nullable(_ref("ProjectAgreement")),
        "tranches": _object({"planned_fen": FEN, "paid_fen": FEN, "cut_fen": FEN, "remaining_fen": FEN,
                             "items": {"type": "array", "items": _ref("ProjectTranche")}}),
        "milestones": {"type": "array", "items": _ref("ProjectMilestone")},
        "evaluations": {"type": "array", "items": _ref("ProjectEvaluation")},
        "links": _object({"self": URL, "results": URL}),
    }, description="A funded project of a published result."),
    "ProjectList": _object({"projects": {"type": "array", "items": _ref("Project")}, "count": INTEGER}),
}

PROJECT_ID = {"name": "project_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}

PATHS: dict[str, Any] = {
    "/api/v1/projects": {"get": {
        "operationId": "listProjects", "summary": "Every funded project of a published result.",
        "responses": {"200": _json("ProjectList", "The projects, newest call first, in the order of the result.")},
    }},
    "/api/v1/projects/{project_id}": {"get": {
        "operationId": "getProject",
        "summary": "One funded project: agreement, tranches planned, paid and remaining, milestones, evaluations.",
        "parameters": [PROJECT_ID],
        "responses": {"200": _json("Project", "The project."),
                      "404": {**NOT_FOUND, "description": "No such funded project."}},
    }},
}
