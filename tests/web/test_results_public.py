"""The public results page, its charts and exports, the embargo before the
notice, and each group's reviewer feedback – all from frozen records."""
from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from tests.conftest import Client, login
from tests.public_results_builders import (
    CONFIDENTIAL,
    GROUP_A,
    GROUP_B,
    GROUP_C,
    HEAD,
    REVIEWER_NAMES,
    TITLE_A,
    TITLE_B,
    add_objection,
    add_record,
    content_for,
    make_results_world,
    set_phase,
)
from venture.calls.models import Phase
from venture.extensions import db
from venture.results.models import ObjectionStatus, ResultStage


def english(app, email=None):
    client = Client(app, app.response_class, use_cookies=True)
    client.set_cookie("lang", "en")
    if email:
        login(client, email)
        with app.app_context():
            from venture.accounts.models import User
            db.session.scalar(select(User).where(User.email == email)).locale = "en"
            db.session.commit()
    return client


def text_of(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# The page ------------------------------------------------------------------------------------------

def test_results_page_shows_the_proposed_record(app):
    ids = make_results_world(app, Phase.NOTICE)
    page = text_of(english(app).get(f"/calls/{ids['call_id']}/results"))
    assert "Proposed result under public notice" in page
    assert "The notice runs until" in page
    for name in (GROUP_A, TITLE_A, GROUP_C, ids["number_a"]):
        assert name in page
    assert "=HYPERLINK(&#34;http://evil.example&#34;)" in page or "=HYPERLINK(&quot;http://evil.example&quot;)" in page
    assert "8.50" in page and "8.60" in page and "85.50" in page  # criterion means, final score
    assert "8,000.00" in page  # the lowered amount
    assert "设备费偏高，按八成资助" in page and "与区级项目重复资助" in page  # adjustment reasons
    assert "Set aside by the organizer" in page and "Funded" in page
    assert "the highest and the lowest total were left out" in page
    assert f'href="/proposals/{ids["proposal_a"]}"' in page
    assert "highest and the lowest total are left out first" in page  # the method, in words
    assert "normalised" in page and "“可行性”" in page
    assert HEAD in page and "No. 41" in page and "flask --app venture audit verify" in page
    assert "DISAGREEMENT-FLAG" not in page and "reviewer_stats" not in page
    assert "Changes since the public notice" not in page  # only for the final result


def test_the_page_renders_from_the_record_not_from_the_database(app):
    ids = make_results_world(app, Phase.NOTICE)
    with app.app_context():
        from venture.groups.models import Group
        db.session.get(Group, ids["group_a"]).name = "Renamed afterwards"
        db.session.commit()
    page = text_of(english(app).get(f"/calls/{ids['call_id']}/results"))
    assert GROUP_A in page and "Renamed afterwards" not in page


def test_final_result_shows_the_changes_and_their_reasons(app):
    ids = make_results_world(app, Phase.NOTICE)
    objection = add_objection(app, ids, proposal=ids["proposal_c"], answer="查实，恢复资助。",
                              status=ObjectionStatus.UPHELD)
    changes = [{"proposal": ids["proposal_c"], "number": ids["number_c"], "what": "amount", "before": 0,
                "after": 500_000, "reason": "异议成立：并非重复资助", "objection": objection},
               {"proposal": ids["proposal_c"], "number": ids["number_c"], "what": "outcome", "before": "set_aside",
                "after": "funded", "reason": "异议成立：并非重复资助", "objection": objection}]
    add_record(app, ids, ResultStage.FINAL, content_for(ids, "final", changes))
    set_phase(app, ids["call_id"], Phase.PUBLISHED)
    page = text_of(english(app).get(f"/calls/{ids['call_id']}/results"))
    assert "Final result." in page and "Proposed result under public notice" not in page
    assert "Changes since the public notice" in page
    assert "异议成立：并非重复资助" in page and "5,000.00" in page
    assert 'href="#objection-1"' in page and "查实，恢复资助。" in page
    changes = page[page.index('id="changes-title"'):page.index('id="charts-title"')]
    assert re.search(r"<td>Set aside by the organizer</td>\s*<td>Funded</td>", changes)


def test_print_view_opens_the_chart_tables_and_drops_the_buttons(app):
    ids = make_results_world(app, Phase.NOTICE)
    page = text_of(english(app).get(f"/calls/{ids['call_id']}/results?print=1"))
    assert "print-view" in page and "Printed from" in page
    assert "Download as CSV" not in page
    assert page.count('<details class="chart-data" open>') == 3
    assert "style=" not in page  # the CSP forbids inline styles: everything is in venture.css


class _SvgParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svgs, self.ids, self.stack = [], {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.svgs.append(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = tag
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()


def test_charts_are_svg_with_text_alternatives_and_tables(app):
    ids = make_results_world(app, Phase.NOTICE)
    page = text_of(english(app).get(f"/calls/{ids['call_id']}/results"))
    parser = _SvgParser()
    parser.feed(page)
    assert len(parser.svgs) == 3
    for svg in parser.svgs:
        assert svg["role"] == "img"
        title_id, desc_id = svg["aria-labelledby"].split()
        assert parser.ids[title_id] == "title" and parser.ids[desc_id] == "desc"
    assert "Distribution of final scores" in page and "Money awarded by theme" in page
    assert "Money awarded by district" in page
    assert page.count('<details class="chart-data">') == 3
    # The histogram's table: one proposal each in 50–60, 70–80 and 80–90.
    histogram = page[page.index('id="chart-scores-figure"'):page.index('id="chart-themes-figure"')]
    assert re.search(r"<th scope=\"row\">50–60</th><td>1</td>", histogram)
    assert re.search(r"<th scope=\"row\">80–90</th><td>1</td>", histogram)
    assert re.search(r"<th scope=\"row\">90–100</th><td>0</td>", histogram)
    themes = page[page.index('id="chart-themes-figure"'):page.index('id="chart-districts-figure"')]
    assert "长者关爱" in themes and "8,000.00" in themes and "儿童成长" not in themes  # only money awarded


def test_charts_unit():
    from venture.results import charts

    lines = [{"final": "100.00", "outcome": "funded", "amount_fen": 5, "theme": "b"},
             {"final": None, "score": "9.99", "outcome": "funded", "amount_fen": 7, "theme": "a"},
             {"final": None, "score": None, "outcome": "no_score", "amount_fen": 0, "theme": "c"},
             {"final": "60", "outcome": "below_minimum", "amount_fen": 0, "theme": "a"}]
    bins = dict(charts.score_bins(lines))
    assert bins["90–100"] == 1 and bins["0–10"] == 1 and bins["60–70"] == 1 and sum(bins.values()) == 3
    assert charts.money_by(lines, "theme") == [("a", 7), ("b", 5)]
    svg = charts.rows("x", "T <&>", "D", [charts.Bar("<b>", 3, "3")])
    assert "&lt;b&gt;" in svg and "T &lt;&amp;&gt;" in svg and "<b>" not in svg


def test_call_page_links_the_results_only_from_the_notice_on(app):
    ids = make_results_world(app, Phase.REVIEW)
    client = english(app)
    assert "/results" not in text_of(client.get(f"/calls/{ids['call_id']}"))
    set_phase(app, ids["call_id"], Phase.NOTICE)
    assert f'href="/calls/{ids["call_id"]}/results"' in text_of(client.get(f"/calls/{ids['call_id']}"))


# Exports ----------------------------------------------------------------------------------------------

def test_csv_export_has_a_bom_the_table_columns_and_no_formulas(app):
    ids = make_results_world(app, Phase.NOTICE)
    response = english(app).get(f"/calls/{ids['call_id']}/results.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="results-') and "filename*=UTF-8''" in disposition
    assert disposition.encode("ascii")  # the header itself is ASCII
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Rank", "Number", "Group", "Project"]
    assert "Mean: 需求" in rows[0] and "Awarded (yuan)" in rows[0] and "Outcome" in rows[0]
    first, second, third = rows[1:]
    assert first[2] == GROUP_A and first[3] == TITLE_A and "8.50" in first and "8000.00" in first
    assert second[2] == "'" + GROUP_B and second[3] == "'" + TITLE_B  # formula injection defused
    assert "Set aside: 与区级项目重复资助" in third
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert "DISAGREEMENT-FLAG" not in data.decode("utf-8-sig")


def test_xlsx_export_keeps_text_as_text(app):
    from openpyxl import load_workbook

    ids = make_results_world(app, Phase.NOTICE)
    response = english(app).get(f"/calls/{ids['call_id']}/results.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert ".xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    assert [c.value for c in rows[0][:4]] == ["Rank", "Number", "Group", "Project"]
    assert rows[1][2].value == GROUP_A and rows[1][0].value == 1
    evil = rows[2][2]
    assert evil.value == GROUP_B and evil.data_type == "s" and evil.quotePrefix  # text, never a formula
    assert rows[2][3].data_type == "s" and rows[2][3].quotePrefix
    assert not any(cell.data_type == "f" for row in rows for cell in row)
    assert 8000.0 in [cell.value for cell in rows[1]]


def test_export_file_names():
    from venture.results import exports

    name, fallback = exports.file_names(3, "final", "csv", "2026 幸福/社区")
    header = exports.disposition(name, fallback)
    assert header.startswith('attachment; filename="results-3-final.csv"; filename*=UTF-8\'\'')
    assert "/" not in header.split("filename*=")[1].replace("UTF-8''", "")
    assert exports.safe_cell("-2+3") == "'-2+3" and exports.safe_cell("ok") == "ok" and exports.safe_cell(5) == 5


# The embargo ---------------------------------------------------------------------------------------------

def _review_with_result_data(app, ids):
    """Everything the organizers have before the notice: reviews (the world has
    them), a component score, a funding adjustment and even a frozen record."""
    with app.app_context():
        from decimal import Decimal

        from venture.results.models import ComponentScore, FundingAdjustment
        db.session.add(ComponentScore(proposal_id=ids["proposal_a"], value=Decimal("91.00")))
        db.session.add(FundingAdjustment(proposal_id=ids["proposal_c"], set_aside=True, reason="SECRET-ADJUSTMENT"))
        db.session.commit()


EMBARGOED = ["/calls/{call}/results", "/calls/{call}/results.csv", "/calls/{call}/results.xlsx",
             "/calls/{call}/objections", "/api/v1/calls/{call}/results", "/api/v1/calls/{call}/objections",
             "/calls/{call}/objections/{objection}/file"]


def test_nothing_of_the_result_is_public_before_the_notice(app):
    ids = make_results_world(app, Phase.REVIEW)
    _review_with_result_data(app, ids)
    objection = add_objection(app, ids)  # cannot happen, but even then
    call = ids["call_id"]
    clients = {"anonymous": english(app), "owner": english(app, "owner@example.org"),
               "resident": english(app, "resident@example.org")}
    for who, client in clients.items():
        for template in EMBARGOED:
            url = template.format(call=call, objection=objection)
            assert client.get(url).status_code == 404, (who, url)
        call_page = text_of(client.get(f"/calls/{call}"))
        for leak in ("85.50", "8,000.00", "Funded", "/results", "SECRET-ADJUSTMENT", "91.00"):
            assert leak not in call_page, (who, leak)
        api_call = client.get(f"/api/v1/calls/{call}").get_json()
        assert api_call["links"]["results"] is None and api_call["phase"] == "review"
        listing = text_of(client.get("/showcase?sort=score"))
        assert 'value="score"' not in listing and "85.50" not in listing and "Score" not in listing
        listing = text_of(client.get(f"/calls/{call}/proposals?sort=score"))
        assert "85.50" not in listing and 'value="score"' not in listing
        found = text_of(client.get("/search?q=长者"))
        assert "85.50" not in found and "Funded" not in found and "8,000.00" not in found
        assert client.get(f"/proposals/{ids['proposal_a']}/feedback").status_code in (302, 403)
    # From the notice on, the result is public.
    set_phase(app, call, Phase.NOTICE)
    for template in EMBARGOED:
        url = template.format(call=call, objection=objection)
        expected = 404 if url.endswith("/file") else 200  # that objection has no file
        assert clients["anonymous"].get(url).status_code == expected, url
    page = text_of(clients["anonymous"].get(f"/calls/{call}/results"))
    assert "85.50" in page and "SECRET-ADJUSTMENT" not in page  # the record, not the live tables


def test_a_final_record_is_not_shown_while_the_notice_runs(app):
    ids = make_results_world(app, Phase.NOTICE)
    final = content_for(ids, "final")
    final["lines"][0]["title"] = "FINAL-ONLY TITLE"
    add_record(app, ids, ResultStage.FINAL, final)
    page = text_of(english(app).get(f"/calls/{ids['call_id']}/results"))
    assert "FINAL-ONLY TITLE" not in page and TITLE_A in page


# The group's feedback -------------------------------------------------------------------------------------

def test_feedback_labels_reviewers_and_hides_names_and_notes(app):
    ids = make_results_world(app, Phase.PUBLISHED)
    url = f"/proposals/{ids['proposal_a']}/feedback"
    for email in ("owner@example.org", "member@example.org"):
        page = text_of(english(app, email).get(url))
        assert "Reviewer A" in page and "Reviewer B" in page and "Reviewer C" not in page
        # Stable order: the panel member with the lower id is reviewer A.
        assert page.index("需求调研扎实") < page.index("Reviewer B") < page.index("覆盖面可以更广")
        assert "8.5 of 10.0" in page and "87.40 of 100" in page and "建议细化食材采购预算" in page
        assert "No comment." in page  # reviewer B wrote none
        for secret in (CONFIDENTIAL, *REVIEWER_NAMES, "reviewer1@example.org", "reviewer2@example.org"):
            assert secret not in page
        assert "85.50" in page  # the group's own line of the published result
    for email in ("other_owner@example.org", "resident@example.org", "organizer@example.org",
                  "reviewer1@example.org"):
        assert english(app, email).get(url).status_code == 403, email
    assert english(app).get(url).status_code == 302  # log in first


def test_feedback_waits_for_publication_and_is_linked_from_my_proposals(app):
    ids = make_results_world(app, Phase.NOTICE)
    owner = english(app, "owner@example.org")
    url = f"/proposals/{ids['proposal_a']}/feedback"
    assert owner.get(url).status_code == 403
    assert url not in text_of(owner.get("/my/proposals"))
    set_phase(app, ids["call_id"], Phase.PUBLISHED)
    assert owner.get(url).status_code == 200
    assert url in text_of(owner.get("/my/proposals"))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_results_page_renders_in_both_languages(app, locale):
    ids = make_results_world(app, Phase.NOTICE)
    client = Client(app, app.response_class, use_cookies=True)
    client.set_cookie("lang", locale)
    page = text_of(client.get(f"/calls/{ids['call_id']}/results"))
    assert TITLE_A in page and f'lang="{"zh-CN" if locale == "zh_CN" else "en"}"' in page


def test_a_composite_score_gets_its_own_columns_and_words(app):
    ids = make_results_world(app, Phase.NOTICE, record=False)
    content = content_for(ids)
    content["method"].update(component_weight="0.30", component_label="往年评估")
    for line in content["lines"]:
        line.update(component="90.00", final="88.00")
    set_phase(app, ids["call_id"], Phase.REVIEW)
    add_record(app, ids, content=content)
    set_phase(app, ids["call_id"], Phase.NOTICE)
    client = english(app)
    page = text_of(client.get(f"/calls/{ids['call_id']}/results"))
    assert "The final score is 30% “往年评估”, entered by the organizer, and 70% the proposal&#39;s score." in page
    assert '<th scope="col" class="num">往年评估</th>' in page and "<strong>88.00</strong>" in page
    rows = list(csv.reader(io.StringIO(client.get(f"/calls/{ids['call_id']}/results.csv")
                                       .get_data().decode("utf-8-sig"))))
    assert rows[0][rows[0].index("Proposal score") + 1:rows[0].index("Proposal score") + 3] == ["往年评估", "Final score"]
    assert rows[1][rows[0].index("Final score")] == "88.00"
