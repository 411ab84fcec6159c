"""Fuzzing the open data API with schemathesis: every operation of the
application's own OpenAPI document (``/api/v1/openapi.json``), called through
WSGI with generated and mutated arguments against a database holding calls
in several phases. No answer is a server error, every answer matches the
document, and a draft call never shows."""
from __future__ import annotations

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from tests.builders import make_call
from tests.public_results_builders import add_objection, add_record, make_results_world
from venture.calls.models import Phase
from venture.results.models import ObjectionStatus

DRAFT_TITLE = "DRAFT-CALL-NEVER-PUBLIC"
EXAMPLES = int(os.environ.get("VENTURE_FUZZ_EXAMPLES", 30))  # more for a longer hunt
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])


@pytest.fixture
def api_world(app):
    """A call in its public notice with a proposed result and objections, an
    open call, a call under review and a draft: the last two hold a result
    record too, which must stay out of sight."""
    ids = make_results_world(app, Phase.NOTICE)
    add_objection(app, ids, proposal=ids["proposal_b"], answer="维持原结果。", status=ObjectionStatus.REJECTED)
    add_objection(app, ids, text="<script>alert(1)</script> 请公开评分细则，谢谢。")
    review = make_call(app, ids["body_id"], Phase.REVIEW, title="Call under review")
    drafts = [make_call(app, ids["body_id"], Phase.DRAFT, title=DRAFT_TITLE),
              make_call(app, ids["body_id"], Phase.DRAFT, title=DRAFT_TITLE + " 2")]
    for hidden in (review, drafts[0]):
        add_record(app, {**ids, "call_id": hidden})
    opened = make_call(app, ids["body_id"], Phase.OPEN, title="Open call")
    return {"notice": ids["call_id"], "open": opened, "review": review, "drafts": drafts}


def _operations(app):
    # Loaded from the application's own answer. ``from_wsgi`` would leave out the operation that serves
    # the document itself, so the document is read first and loaded as a dictionary; cases are then sent
    # to the application through WSGI (``case.call(app=app)``).
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == {
        "GET /api/v1/calls", "GET /api/v1/calls/{call_id}", "GET /api/v1/calls/{call_id}/results",
        "GET /api/v1/calls/{call_id}/objections", "GET /api/v1/checkpoints", "GET /api/v1/openapi.json",
        "GET /api/v1/projects", "GET /api/v1/projects/{project_id}",
        "GET /api/v1/calls/{call_id}/results/{stage}", "GET /api/v1/calls/{call_id}/draws"}
    return operations


def _known(world):
    return [world["notice"], world["open"], world["review"], *world["drafts"]]


def _strategy(operation, world, mode):
    generated = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.NEGATIVE or not any(p.name == "call_id" for p in operation.path_parameters):
        return generated
    # Random integers seldom hit a stored call: half of the cases ask for one of ours, drafts included.
    return st.one_of(st.sampled_from(_known(world)).flatmap(
        lambda call_id: operation.as_strategy(path_parameters={"call_id": call_id})), generated)


def _check_no_draft(case, response, world):
    text = response.content.decode("utf-8", "replace")
    assert DRAFT_TITLE not in text, (case.path, case.path_parameters)
    if response.status_code != 200 or not text.startswith("{"):
        return
    data = json.loads(text)
    for call in data.get("calls", []):
        assert call["id"] not in world["drafts"] and call["phase"] != "draft"
    if "phase" in data:
        assert data["phase"] != "draft" and data["id"] not in world["drafts"]
    if case.path_parameters and str(case.path_parameters.get("call_id")) in {str(d) for d in world["drafts"]}:
        pytest.fail(f"a draft call answered 200 at {case.path} {case.path_parameters}")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_every_api_operation_survives_fuzzing(app, api_world, mode):
    for operation in _operations(app):
        if mode is GenerationMode.NEGATIVE and not operation.path_parameters:
            continue  # nothing to mutate: no parameters, no body

        @FUZZ
        @given(case=_strategy(operation, api_world, mode))
        def fuzz(case):
            response = case.call(app=app)
            assert response.status_code < 500, (case.path, case.path_parameters, response.status_code)
            case.validate_response(response)
            _check_no_draft(case, response, api_world)

        fuzz()


# What each of our calls answers, whatever the fuzzing drew: drafts and unreleased results are 404.
EXPECTED = {
    "GET /api/v1/calls/{call_id}": {"notice": 200, "open": 200, "review": 200, "draft": 404},
    "GET /api/v1/calls/{call_id}/results": {"notice": 200, "open": 404, "review": 404, "draft": 404},
    "GET /api/v1/calls/{call_id}/objections": {"notice": 200, "open": 404, "review": 404, "draft": 404},
    "GET /api/v1/calls/{call_id}/results/{stage}": {"notice": 200, "open": 404, "review": 404, "draft": 404},
    "GET /api/v1/calls/{call_id}/draws": {"notice": 200, "open": 404, "review": 404, "draft": 404},
}


def test_each_known_call_answers_as_documented(app, api_world):
    for operation in _operations(app):
        if operation.label not in EXPECTED:
            # No funded project here: a project's address answers 404 as documented (tests/web/test_projects.py
            # validates real projects against the document).
            case = operation.Case(path_parameters={"project_id": 1} if "{project_id}" in operation.path else None)
            response = case.call(app=app)
            case.validate_response(response)
            _check_no_draft(case, response, api_world)
            continue
        for name in ("notice", "open", "review", "draft"):
            for call_id in api_world["drafts"] if name == "draft" else [api_world[name]]:
                parameters = {"call_id": call_id}
                if "{stage}" in operation.label:
                    parameters["stage"] = "proposed"  # the notice's record (the final one does not exist yet)
                case = operation.Case(path_parameters=parameters)
                response = case.call(app=app)
                assert response.status_code == EXPECTED[operation.label][name], (operation.label, name)
                case.validate_response(response)
                _check_no_draft(case, response, api_world)
