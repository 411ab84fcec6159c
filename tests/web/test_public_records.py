"""Everything needed to recompute a result is public from the notice on – and
nothing of it before: both records with their fingerprints and sealing audit
entries, every counted review under the call's reviewer letters, the reviews
not counted and why, screening outcomes with their category, first
submission times, the method's parameters, and every panel draw – on the
results page, in CSV and XLSX and in the API."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import pytest
from sqlalchemy import select

from tests.conftest import Client, login
from tests.verifier_builders import CHANGE_REASON, EXPERTS, WITNESSES, make_checkable_call
from venture.audit.models import AuditEvent
from venture.audit.services import canonical, entry_hash
from venture.extensions import db
from venture.proposals.models import Proposal
from venture.results.models import ResultRecord, ResultStage
from venture.review.models import DrawCommitment, PanelDraw

EN = {"Accept-Language": "en"}
EXPERT_NAMES = [email.split("@")[0] for email in EXPERTS]  # the experts' display names: e0, e1, …


def english(app, email=None):
    client = Client(app, app.response_class, use_cookies=True)
    client.set_cookie("lang", "en")
    if email:
        login(client, email)
    return client


def text_of(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _no_expert_identity(text: str) -> None:
    for email in EXPERTS:
        assert email not in text
    for name in EXPERT_NAMES:
        assert not re.search(rf"\b{name}\b", text), name


@pytest.fixture
def world(app):
    return make_checkable_call(app)


# The records -----------------------------------------------------------------------------------------------

def test_both_records_are_published_exactly_as_stored_with_their_sealing_entries(app, world, client):
    with app.app_context():
        stored = {r.stage.value: (r.content, r.fingerprint, r.chain_seq, r.chain_head)
                  for r in db.session.scalars(select(ResultRecord).where(ResultRecord.call_id == world.call))}
    for stage in ("proposed", "final"):
        response = client.get(f"/api/v1/calls/{world.call}/results/{stage}")
        assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
        record = response.get_json()
        content, fingerprint, seq, head = stored[stage]
        assert record["content"] == content, "the whole record, nothing added or left out"
        assert record["fingerprint"] == fingerprint == hashlib.sha256(canonical(record["content"])).hexdigest()
        entry = record["audit_entry"]
        assert (record["chain_seq"], record["chain_head"]) == (seq, head) == (entry["payload"]["seq"],
                                                                              entry["entry_hash"])
        assert entry_hash(entry["prev_hash"], entry["payload"]) == head
        assert entry["payload"]["data"]["fingerprint"] == fingerprint
        assert record["links"]["html"].endswith(f"/calls/{world.call}/results?stage={stage}")
    final = client.get(f"/api/v1/calls/{world.call}/results/final").get_json()["content"]
    assert final["proposed_fingerprint"] == stored["proposed"][1]
    assert [c["reason"] for c in final["changes"]] == [CHANGE_REASON, CHANGE_REASON]
    current = client.get(f"/api/v1/calls/{world.call}/results").get_json()
    assert current["stage"] == "final" and current["records"]["proposed"]["fingerprint"] == stored["proposed"][1]
    assert current["records"]["final"]["url"].endswith(f"/api/v1/calls/{world.call}/results/final")
    for wrong in ("draft", "PROPOSED", "1"):
        assert client.get(f"/api/v1/calls/{world.call}/results/{wrong}").status_code == 404


def test_the_record_holds_every_input_under_reviewer_letters_and_never_a_name(app, world, client):
    record = client.get(f"/api/v1/calls/{world.call}/results/final").get_json()
    content = record["content"]
    assert content["format"] == 2
    assert content["method"]["name"] == "trimmed" and content["method"]["trim_from"] == 5
    assert content["method"]["normalise"] is True and content["method"]["tie_criterion"]["position"] == 2
    letters = set()
    for line in content["lines"]:
        assert len(line["review_scores"]) == 5 and line["notes"] == ["trimmed"]
        assert sum(r["dropped"] for r in line["review_scores"]) == 2  # highest and lowest
        assert line["first_submitted_at"] and float(line["score_exact"]) >= 0
        for review in line["review_scores"]:
            assert re.fullmatch(r"[A-Z]", review["reviewer"]) and set(review["scores"]) == {"1", "2"}
            letters.add(review["reviewer"])
    assert letters <= set("ABCDEF") and len(letters) == 6
    first = content["lines"][0] if content["lines"][0]["proposal"] == world.proposals[0] else \
        next(line for line in content["lines"] if line["proposal"] == world.proposals[0])
    [not_counted] = first["reviews_not_counted"]
    assert not_counted["reason"] == "conflict" and not_counted["reviewer"] in letters
    assert content["screening"][-1] == {"number": content["screening"][-1]["number"], "outcome": "ineligible",
                                        "category": "amount"}
    text = json.dumps(record, ensure_ascii=False)
    _no_expert_identity(text)
    assert "申请金额超出上限" not in text, "the screening reason's text stays with the group"


def test_reviewer_letters_are_the_same_in_both_records_and_in_the_groups_feedback(app, world):
    client = english(app)
    records = {stage: client.get(f"/api/v1/calls/{world.call}/results/{stage}").get_json()["content"]
               for stage in ("proposed", "final")}

    def by_letter(content):
        return {(line["proposal"], r["reviewer"]): r["scores"] for line in content["lines"]
                for r in line["review_scores"]}

    assert by_letter(records["proposed"]) == by_letter(records["final"])
    proposal = world.proposals[1]
    page = text_of(english(app, "owner1@example.org").get(f"/proposals/{proposal}/feedback"))
    public_letters = sorted(r["reviewer"] for line in records["final"]["lines"] if line["proposal"] == proposal
                            for r in line["review_scores"])
    assert sorted(re.findall(r"Reviewer ([A-Z])\b", page)) == sorted(set(re.findall(r"Reviewer ([A-Z])\b", page)))
    assert set(re.findall(r"Reviewer ([A-Z])\b", page)) == set(public_letters)


# Pages and files --------------------------------------------------------------------------------------------

def test_the_results_page_shows_every_input_and_both_records(app, world):
    client = english(app)
    page = text_of(client.get(f"/calls/{world.call}/results"))
    for words in ("Everything needed to recompute this result", "Every counted review", "Reviews not counted",
                  "Not counted: a conflict of interest with the applicant", "Unrounded proposal score",
                  "First submitted", "Screening of every proposal", "The amount requested is outside the call",
                  "The method’s parameters", "the highest and the lowest total are left out from 5 reviews on",
                  "Proposed result (public notice)", "Download the verifier"):
        assert words in page, words
    with app.app_context():
        fingerprints = [r.fingerprint for r in db.session.scalars(select(ResultRecord)
                                                                  .where(ResultRecord.call_id == world.call))]
    assert all(f in page for f in fingerprints)
    assert '<caption>Counted reviews: points per criterion and the weighted total out of 100</caption>' in page
    assert f'href="/calls/{world.call}/results?stage=proposed"' in page
    _no_expert_identity(page)
    # The proposed record stays readable after the final one is out, and says so.
    proposed = text_of(client.get(f"/calls/{world.call}/results?stage=proposed"))
    assert "This is the proposed result as it was published for the public notice" in proposed
    assert client.get(f"/calls/{world.call}/results?stage=nonsense").status_code == 404
    zh = Client(app, app.response_class, use_cookies=True)
    zh.set_cookie("lang", "zh_CN")
    chinese = text_of(zh.get(f"/calls/{world.call}/results"))
    assert "评审专家A" in chinese or "评审专家B" in chinese


def test_every_counted_review_also_has_a_page_of_its_own_and_a_big_call_links_to_it(app, world, monkeypatch):
    from venture.results import public_views

    client = english(app)
    page = text_of(client.get(f"/calls/{world.call}/results/reviews"))
    assert page.count("<tr>") == 1 + 20 and "Every counted review of 2026 可核验的微民生项目" in page
    assert '<caption>Counted reviews: points per criterion and the weighted total out of 100</caption>' in page
    with app.app_context():
        proposed = db.session.scalar(select(ResultRecord).where(ResultRecord.call_id == world.call,
                                                                ResultRecord.stage == ResultStage.PROPOSED))
    assert proposed.fingerprint in text_of(client.get(f"/calls/{world.call}/results/reviews?stage=proposed"))
    _no_expert_identity(page)
    # A call with more reviews than the results page lists links to that page instead.
    monkeypatch.setattr(public_views, "INLINE_REVIEWS", 10)
    page = text_of(client.get(f"/calls/{world.call}/results"))
    assert "This result counts 20 reviews: they are listed on their own page." in page
    assert "<caption>Counted reviews" not in page
    assert f'href="/calls/{world.call}/results/reviews?stage=final"' in page


def test_csv_tables_and_the_xlsx_sheets_hold_the_same_inputs(app, world):
    from openpyxl import load_workbook

    client = english(app)
    url = f"/calls/{world.call}/results"
    lines = _rows(client.get(url + ".csv").get_data())
    assert lines[0][-2:] == ["First submitted (UTC)", "Unrounded proposal score"]
    reviews = client.get(url + ".csv?table=reviews")
    assert reviews.status_code == 200 and "results-" in reviews.headers["Content-Disposition"]
    assert "-reviews.csv" in reviews.headers["Content-Disposition"]
    rows = _rows(reviews.get_data())
    assert rows[0] == ["Number", "Reviewer", "Points: 需求", "Points: 可行性", "Total", "Value averaged (unrounded)",
                       "Counted", "Why not counted"]
    assert len(rows) == 1 + 20 + 1  # every counted review and the one not counted
    assert sum(1 for row in rows if row[6].startswith("No: the highest")) == 8
    assert ["Not counted: a conflict of interest with the applicant"] == [row[7] for row in rows[1:] if row[7]]
    screening = _rows(client.get(url + ".csv?table=screening").get_data())
    assert screening[0] == ["Number", "Screening", "Category"] and len(screening) == 6
    assert screening[-1][1:] == ["Not eligible", "The amount requested is outside the call's limits"]
    method = dict(row for row in _rows(client.get(url + ".csv?table=method").get_data())[1:])
    assert method["Method"] == "trimmed" and method["Trimmed from this many reviews"] == "5"
    assert method["Weight: 可行性"] == "60" and method["Budget (fen)"] == "2500000"
    with app.app_context():
        final = db.session.scalar(select(ResultRecord).where(ResultRecord.call_id == world.call,
                                                             ResultRecord.stage == ResultStage.FINAL))
        proposed = db.session.scalar(select(ResultRecord).where(ResultRecord.call_id == world.call,
                                                                ResultRecord.stage == ResultStage.PROPOSED))
    assert method["Fingerprint of this record"] == final.fingerprint
    assert method["Fingerprint of the proposed result"] == proposed.fingerprint
    proposed_method = dict(row for row in _rows(client.get(url + ".csv?table=method&stage=proposed")
                                                .get_data())[1:])
    assert proposed_method["Fingerprint of this record"] == proposed.fingerprint
    assert client.get(url + ".csv?table=secrets").status_code == 404
    book = load_workbook(io.BytesIO(client.get(url + ".xlsx").get_data()))
    assert book.sheetnames == ["Result", "Reviews", "Screening", "Method"]
    assert [c.value for c in book["Reviews"][1]][:2] == ["Number", "Reviewer"]
    assert book["Reviews"].max_row == 22
    for table in ("", "?table=reviews", "?table=screening", "?table=method"):
        _no_expert_identity(client.get(url + ".csv" + table).get_data().decode("utf-8-sig"))


# Draws ------------------------------------------------------------------------------------------------------

def test_every_draw_is_public_from_the_notice_on_with_its_seed_inputs(app, world, client):
    listed = client.get(f"/api/v1/calls/{world.call}/draws").get_json()
    draws = listed["draws"]
    assert [d["method"] for d in draws] == ["ceremony", "ceremony", "replacement"]
    discarded, ceremony, replacement = draws
    assert discarded["discarded"]["reason"] == "抽取人数填错，应为六人。" and len(discarded["chosen"]) == 2
    assert ceremony["discarded"] is None and len(ceremony["chosen"]) == 6
    assert [w["value"] for w in ceremony["witnesses"]] == [w.value for w in WITNESSES]
    assert [w["name"] for w in ceremony["witnesses"]] == [w.name for w in WITNESSES]
    assert hashlib.sha256(ceremony["commitment"]["secret"].encode()).hexdigest() == ceremony["commitment"]["digest"]
    assert ceremony["audit_entry"]["prev_hash"] == ceremony["chain_head"]
    assert ceremony["audit_entry"]["payload"]["data"]["seed"] == ceremony["seed"]
    assert replacement["parent_draw"] == ceremony["number"] and replacement["audit_entry"] is None
    assert replacement["replaces_member"] is not None
    assert {entry["expert"] for entry in ceremony["pool"]} and all(entry["areas"] for entry in ceremony["pool"])
    assert [c["used"] for c in listed["commitments"]] == [True, True]
    assert listed["panel"] == {"members": 7, "accepted": 6, "accepted_drawn": 6, "accepted_added_by_hand": 0}
    text = json.dumps(listed, ensure_ascii=False)
    _no_expert_identity(text)
    page = text_of(english(app).get(f"/calls/{world.call}/draws"))
    for words in ("Draw #%d – discarded" % discarded["number"], "抽取人数填错", "陈监督", "幸福里 88",
                  ceremony["commitment"]["secret"], ceremony["seed"], "Expert no.", "Finance and budgeting",
                  "Derived from draw #%d" % ceremony["number"]):
        assert words in page, words
    assert "<caption>The pool of draw #" in page
    _no_expert_identity(page)
    zh = Client(app, app.response_class, use_cookies=True)
    zh.set_cookie("lang", "zh_CN")
    assert "抽取" in text_of(zh.get(f"/calls/{world.call}/draws"))


def test_nothing_of_it_is_public_before_the_notice(app):
    early = make_checkable_call(app, finalise=False, notice=False)
    call = early.call
    with app.app_context():
        secrets = [c.secret for c in db.session.scalars(select(DrawCommitment))]
        digests = [c.digest for c in db.session.scalars(select(DrawCommitment))]
        seeds = [d.seed for d in db.session.scalars(select(PanelDraw))]
        number = db.session.get(Proposal, early.ineligible).number
    hidden = [f"/calls/{call}/results", f"/calls/{call}/results?stage=proposed", f"/calls/{call}/results?stage=final",
              f"/calls/{call}/results/reviews", f"/calls/{call}/results/reviews?stage=proposed",
              f"/calls/{call}/results.csv?table=reviews", f"/calls/{call}/results.csv?table=screening",
              f"/calls/{call}/results.csv?table=method", f"/calls/{call}/results.xlsx?stage=proposed",
              f"/calls/{call}/draws", f"/api/v1/calls/{call}/results/proposed",
              f"/api/v1/calls/{call}/results/final", f"/api/v1/calls/{call}/draws"]
    clients = {"anonymous": english(app), "organizer": english(app, "organizer@example.org"),
               "owner": english(app, "owner0@example.org"), "expert": english(app, "e1@example.org")}
    for who, client in clients.items():
        for url in hidden:
            assert client.get(url).status_code == 404, (who, url)
        for url in (f"/calls/{call}", f"/api/v1/calls/{call}", "/api/v1/calls"):
            text = text_of(client.get(url))
            assert not any(s in text for s in secrets + seeds), (who, url)
        call_json = client.get(f"/api/v1/calls/{call}").get_json()
        # The commitments are public at once: that is what makes them commitments.
        assert [c["digest"] for c in call_json["draw_commitments"]] == digests
        assert all(c["secret"] is None and c["draw"] is None for c in call_json["draw_commitments"])
        assert call_json["links"]["draws"] is None
        page = text_of(client.get(f"/calls/{call}"))
        assert all(d in page for d in digests) and f"/calls/{call}/draws" not in page
        assert number not in text_of(client.get(f"/api/v1/calls/{call}"))
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "results.proposed")) is None


def test_the_answers_match_their_openapi_schemas(app, world, client):
    """The real data of a whole call – records with every input, draws of every kind – against the
    application's own OpenAPI document, nested schemas and all."""
    import jsonschema_rs  # schemathesis's own validator

    document = client.get("/api/v1/openapi.json").get_json()

    def validator(name):
        return jsonschema_rs.Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                                   "components": document["components"]})

    def validate(url, name):
        errors = list(validator(name).iter_errors(client.get(url).get_json()))
        assert errors == [], (url, [f"{e.instance_path}: {e}" for e in errors[:5]])

    call = world.call
    validate(f"/api/v1/calls/{call}", "Call")
    validate("/api/v1/calls", "CallList")
    validate(f"/api/v1/calls/{call}/results", "Result")
    validate(f"/api/v1/calls/{call}/results/proposed", "Record")
    validate(f"/api/v1/calls/{call}/results/final", "Record")
    validate(f"/api/v1/calls/{call}/draws", "DrawList")
    content = client.get(f"/api/v1/calls/{call}/results/final").get_json()["content"]
    for line in content["lines"]:
        assert validator("ResultLine").is_valid(line)
    assert not validator("ReviewScore").is_valid({**content["lines"][0]["review_scores"][0], "reviewer": "王评审"})
