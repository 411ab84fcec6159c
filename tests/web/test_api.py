"""The open data API under /api/v1: its shapes, its headers, its OpenAPI
document, and that it shows nothing the public pages do not."""
from __future__ import annotations

import json
import re

from tests.builders import make_call
from tests.conftest import Client, login
from tests.public_results_builders import HEAD, add_objection, make_results_world, set_phase
from venture.calls.models import Phase
from venture.results.models import ObjectionStatus


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    assert response.mimetype == "application/json"
    return response, response.get_json()


def test_calls_lists_public_calls_never_drafts(app, client):
    ids = make_results_world(app, Phase.NOTICE)
    draft = make_call(app, ids["body_id"], Phase.DRAFT, title="DRAFT-CALL-TITLE")
    open_call = make_call(app, ids["body_id"], Phase.OPEN, title="Open call")
    response, data = get_json(client, "/api/v1/calls")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    listed = {c["id"]: c for c in data["calls"]}
    assert set(listed) == {ids["call_id"], open_call} and data["count"] == 2
    assert "DRAFT-CALL-TITLE" not in response.get_data(as_text=True)
    notice = listed[ids["call_id"]]
    assert notice["phase"] == "notice" and notice["links"]["results"].endswith(f"/api/v1/calls/{ids['call_id']}/results")
    assert listed[open_call]["links"]["results"] is None
    assert notice["criteria"] == [{"position": 1, "name": "需求", "weight": 40, "max_points": "10.00"},
                                  {"position": 2, "name": "可行性", "weight": 60, "max_points": "10.00"}]
    assert notice["budget"] == {"currency": "CNY", "total_fen": 20_000_000, "min_grant_fen": 200_000,
                                "max_grant_fen": 3_000_000}
    assert notice["method"]["name"] == "mean" and notice["method"]["minimum_score"] == "60.00"
    assert notice["body"]["name"] and notice["dates"]["notice_ends_at"]
    _, one = get_json(client, f"/api/v1/calls/{open_call}")
    assert one == listed[open_call]
    _, error = get_json(client, f"/api/v1/calls/{draft}", 404)
    assert error == {"error": {"code": 404, "message": "Not Found"}}
    get_json(client, "/api/v1/calls/abc", 404)
    get_json(client, "/api/v1/calls/99999999999", 404)


def test_the_api_is_the_same_for_organizers_and_cacheable(app):
    ids = make_results_world(app, Phase.REVIEW)
    draft = make_call(app, ids["body_id"], Phase.DRAFT, title="DRAFT-CALL-TITLE")
    organizer = Client(app, app.response_class, use_cookies=True)
    login(organizer, "organizer@example.org")
    response, data = get_json(organizer, "/api/v1/calls")
    assert draft not in [c["id"] for c in data["calls"]]
    assert response.headers["Cache-Control"] == "public, max-age=60"
    get_json(organizer, f"/api/v1/calls/{draft}", 404)
    get_json(organizer, f"/api/v1/calls/{ids['call_id']}/results", 404)
    get_json(organizer, f"/api/v1/calls/{ids['call_id']}/objections", 404)


def test_results_and_objections_from_the_notice_on(app, client):
    ids = make_results_world(app, Phase.REVIEW)
    add_objection(app, ids, proposal=ids["proposal_b"], answer="维持原结果。", status=ObjectionStatus.REJECTED)
    url = f"/api/v1/calls/{ids['call_id']}"
    get_json(client, url + "/results", 404)
    get_json(client, url + "/objections", 404)
    set_phase(app, ids["call_id"], Phase.NOTICE)
    response, result = get_json(client, url + "/results")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert result["stage"] == "proposed" and result["call"] == ids["call_id"]
    assert result["record"] == {"stage": "proposed", "created_at": result["record"]["created_at"],
                                "fingerprint": "f" * 64, "chain_seq": 41, "chain_head": HEAD}
    assert result["totals"] == {"funded": 1, "amount_fen": 800_000, "budget_fen": 20_000_000, "proposals": 3}
    first = result["lines"][0]
    assert first["group"] == "幸福里邻里互助队" and first["criteria_means"] == {"1": "8.50", "2": "8.60"}
    assert first["adjustment"] == {"amount_fen": 800_000, "set_aside": False, "reason": "设备费偏高，按八成资助"}
    body = response.get_data(as_text=True)
    assert "DISAGREEMENT-FLAG" not in body and "reviewer_stats" not in body  # organizer-only parts stay out
    assert result["links"]["csv"].endswith("/results.csv")
    response, listed = get_json(client, url + "/objections")
    [objection] = listed["objections"]
    assert objection == {"number": 1, "lodged_at": objection["lodged_at"],
                         "line": {"number": ids["number_b"], "title": "@SUM(1+1) 邻里课堂"},
                         "text": "第二名的评分明显偏低，请说明理由。", "status": "rejected", "answer": "维持原结果。",
                         "answered_at": objection["answered_at"], "attachment": None}
    text = response.get_data(as_text=True)
    assert "resident" not in text.lower() and "author" not in text


def test_the_api_only_reads(app, client):
    ids = make_results_world(app, Phase.NOTICE)
    for url in ("/api/v1/calls", f"/api/v1/calls/{ids['call_id']}/results"):
        response = client.post(url, data={"csrf_token": client.csrf_token()})
        assert response.status_code == 405
        assert "Access-Control-Allow-Origin" not in response.headers


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_the_openapi_document_describes_exactly_the_api(app, client):
    response, document = get_json(client, "/api/v1/openapi.json")
    json.loads(response.get_data(as_text=True))
    assert document["openapi"] == "3.1.0" and document["info"]["title"]
    served = {_openapi_path(rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    assert set(document["paths"]) == served
    for path, item in document["paths"].items():
        assert set(item) == {"get"}, path
        parameters = {p["name"] for p in item["get"].get("parameters", [])}
        assert parameters == set(re.findall(r"{([a-z_]+)}", path)), path
        assert "200" in item["get"]["responses"]
    schemas = document["components"]["schemas"]
    refs = re.findall(r'"\$ref": ?"#/components/schemas/([A-Za-z]+)"', json.dumps(document))
    assert refs and all(ref in schemas for ref in refs)


def test_responses_match_the_documented_required_fields(app, client):
    ids = make_results_world(app, Phase.NOTICE)
    add_objection(app, ids)
    _, document = get_json(client, "/api/v1/openapi.json")
    schemas = document["components"]["schemas"]

    def check(value, schema, where):
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        if "oneOf" in schema:
            if value is None:
                return
            schema = schema["oneOf"][0]
            return check(value, schema, where)
        if schema.get("type") == "object" and "properties" in schema:
            assert isinstance(value, dict), where
            for name in schema.get("required", []):
                assert name in value, f"{where}.{name} missing"
            for name, sub in schema["properties"].items():
                if name in value:
                    check(value[name], sub, f"{where}.{name}")
        elif schema.get("type") == "array":
            assert isinstance(value, list), where
            for i, item in enumerate(value):
                check(item, schema["items"], f"{where}[{i}]")
        elif schema.get("type") == "string":
            assert isinstance(value, str), where
            if "enum" in schema:
                assert value in schema["enum"], where
        elif schema.get("type") == "integer":
            assert isinstance(value, int) and not isinstance(value, bool), where
        elif schema.get("type") == "boolean":
            assert isinstance(value, bool), where

    call = ids["call_id"]
    check(get_json(client, "/api/v1/calls")[1], {"$ref": "#/components/schemas/CallList"}, "calls")
    check(get_json(client, f"/api/v1/calls/{call}")[1], {"$ref": "#/components/schemas/Call"}, "call")
    check(get_json(client, f"/api/v1/calls/{call}/results")[1], {"$ref": "#/components/schemas/Result"}, "result")
    check(get_json(client, f"/api/v1/calls/{call}/objections")[1], {"$ref": "#/components/schemas/ObjectionList"},
          "objections")
    check(get_json(client, f"/api/v1/calls/{call}/results/proposed")[1], {"$ref": "#/components/schemas/Record"},
          "record")
    check(get_json(client, f"/api/v1/calls/{call}/draws")[1], {"$ref": "#/components/schemas/DrawList"}, "draws")
    get_json(client, f"/api/v1/calls/{call}/results/final", 404)  # no final record during the notice
