"""Results in a real browser, in Chinese and in English: the organizer
deliberates and opens the public notice; a resident reads the ranked result
with its charts and lodges an objection; the organizer answers it in public;
after the notice the organizer publishes the final result, which the public
reads and the applicant group reads its reviewers' feedback, labelled, never
named. Every screen passes axe-core."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Catalogue, LiveServer, Pages, assert_accessible, assert_html_lang, log_in
from tests.results_builders import make_results_world, review_table
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.results.models import Objection, ObjectionStatus

LOCALES = ["zh_CN", "en"]
OBJECTION = "第一名项目的场地还没有落实，请核实后再公布资助名单。The venue is not confirmed yet."


@pytest.mark.parametrize("locale", LOCALES)
def test_notice_objection_answer_and_publication(live_server: LiveServer, new_page: Pages, locale: str,
                                                 t: Catalogue) -> None:
    app = live_server.app
    world = make_results_world(app)
    review_table(app, world)
    call_id = world.call

    organizer = new_page()
    log_in(organizer, live_server, "organizer@example.org")
    organizer.goto(live_server(f"/calls/{call_id}/deliberation"))
    expect(organizer.get_by_role("heading", level=1)).to_have_text(t("Deliberation"))
    assert_html_lang(organizer, locale)
    assert_accessible(organizer)

    public = new_page()
    assert public.goto(live_server(f"/calls/{call_id}/results")).status == 404, "embargoed until the notice"

    with organizer.expect_navigation():
        organizer.get_by_role("button", name=t("Open the public notice")).click()
    with app.app_context():
        assert db.session.get(Call, call_id).phase is Phase.NOTICE

    # A resident reads the proposed result and objects.
    resident = new_page()
    log_in(resident, live_server, "resident@example.org")
    resident.goto(live_server(f"/calls/{call_id}/results"))
    expect(resident.get_by_role("heading", level=1)).to_have_text(
        t("Results of %(title)s", title="2026 结果测试"))
    ranking = resident.locator("table").filter(has_text="互助队0").first
    expect(ranking).to_contain_text("互助队1")
    expect(resident.locator("svg title").first).to_be_attached()
    assert_accessible(resident)
    with resident.expect_navigation():
        resident.get_by_role("link", name=t("Lodge an objection")).first.click()
    resident.locator("#text").fill(OBJECTION)
    with resident.expect_navigation():
        resident.get_by_role("button", name=t("Lodge the objection")).click()
    expect(resident.locator("main")).to_contain_text(OBJECTION)
    assert "resident@example.org" not in resident.content()
    assert_accessible(resident)
    with app.app_context():
        objection = db.session.query(Objection).one()
        objection_id = objection.id

    # The organizer answers in public.
    organizer.goto(live_server(f"/calls/{call_id}/objections"))
    organizer.locator(f"#answer-{objection_id}-answer").fill("已核实：场地由社区中心免费提供。The venue is confirmed.")
    organizer.get_by_label(t("Not upheld")).first.check()
    with organizer.expect_navigation():
        organizer.get_by_role("button", name=t("Publish the answer")).click()
    assert_accessible(organizer)
    with app.app_context():
        assert db.session.get(Objection, objection_id).status is ObjectionStatus.REJECTED
        call = db.session.get(Call, call_id)
        call.notice_ends_at = utcnow() - timedelta(minutes=1)  # the notice period has run out
        db.session.commit()

    organizer.goto(live_server(f"/calls/{call_id}/deliberation"))
    with organizer.expect_navigation():
        organizer.get_by_role("button", name=t("Publish the final result")).click()
    with app.app_context():
        assert db.session.get(Call, call_id).phase is Phase.PUBLISHED

    public.goto(live_server(f"/calls/{call_id}/results"))
    expect(public.locator("main")).to_contain_text("已核实：场地由社区中心免费提供。")
    expect(public.locator("main")).to_contain_text("互助队0")
    assert_accessible(public)

    # The group reads its reviewers' feedback: labelled, never named, no confidential notes.
    owner = new_page()
    log_in(owner, live_server, "owner0@example.org")
    owner.goto(live_server(f"/proposals/{world.proposals[0]}/feedback"))
    main = owner.locator("main")
    expect(main).to_contain_text("继续加油")
    for name in ("Reviewer 0", "Reviewer 1", "Reviewer 2", "r0@example.org", "内部备注"):
        assert name not in owner.content()
    assert_accessible(owner)
