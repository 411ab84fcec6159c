"""The panel draw and the published record in a real browser, in Chinese
and in English: the organizer prepares a draw (its commitment appears on the
call's page) and draws with a witness; from the notice on the public reads
every draw and every input of the result. Every screen passes axe-core and
none scrolls sideways on a 360-pixel phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.builders import make_body, make_call
from tests.conftest import make_user
from tests.e2e.conftest import Catalogue, LiveServer, Pages, assert_accessible, assert_html_lang, log_in, scroll_width
from tests.review_builders import make_expert
from tests.verifier_builders import make_checkable_call
from venture.calls.models import Phase
from venture.extensions import db
from venture.review.models import DrawCommitment, PanelDraw

LOCALES = ["zh_CN", "en"]
PHONE_WIDTH = 360


@pytest.mark.parametrize("locale", LOCALES)
def test_the_organizer_prepares_and_makes_a_draw_with_a_witness(live_server: LiveServer, new_page: Pages,
                                                               locale: str, t: Catalogue) -> None:
    app = live_server.app
    make_user(app, "organizer@example.org", name="Organizer")
    body = make_body(app, "organizer@example.org")
    for i in range(4):
        make_user(app, f"e{i}@example.org", name=f"Expert {i}")
        make_expert(app, body, f"e{i}@example.org", expertise=("social_work",))
    call = make_call(app, body, Phase.OPEN, title="2026 抽取测试")
    page = new_page()
    log_in(page, live_server, "organizer@example.org")
    page.goto(live_server(f"/calls/{call}/panel"))
    assert_html_lang(page, locale)
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name=t("Prepare the draw")).click()
    with app.app_context():
        digest = db.session.scalar(select(DrawCommitment.digest))
    expect(page.locator("main")).to_contain_text(digest)
    assert_accessible(page)
    page.get_by_label(t("Number of experts")).fill("2")
    page.get_by_label(t("Witness %(num)d: name", num=1)).fill("陈监督")
    page.get_by_label(t("Witness %(num)d: role or body", num=1)).fill("区民政局监督科")
    page.get_by_label(t("Witness %(num)d: the value they choose", num=1)).fill("2718")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Draw"), exact=True).click()
    expect(page.locator("#draws-title + .table-wrap")).to_contain_text("陈监督")
    assert_accessible(page)
    with app.app_context():
        assert db.session.scalar(select(PanelDraw.witnesses))[0]["value"] == "2718"
    public = new_page()
    public.goto(live_server(f"/calls/{call}"))
    expect(public.locator("#commitments-title")).to_have_text(t("Panel draw commitments"))
    expect(public.locator("main")).to_contain_text(digest)
    assert_accessible(public)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_public_reads_every_draw_and_every_input(live_server: LiveServer, new_page: Pages, locale: str,
                                                     t: Catalogue) -> None:
    app = live_server.app
    world = make_checkable_call(app)
    page = new_page()
    page.goto(live_server(f"/calls/{world.call}/draws"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Panel draws of %(title)s", title="2026 可核验的微民生项目"))
    expect(page.locator("main")).to_contain_text("抽取人数填错")
    page.get_by_text(t.ngettext("The pool: %(num)d expert", "The pool: %(num)d experts", 8)).first.click()
    assert_accessible(page)
    page.goto(live_server(f"/calls/{world.call}/results"))
    page.get_by_text(t("Every counted review"), exact=True).click()
    expect(page.get_by_role("table", name=t("Counted reviews: points per criterion and the weighted total out "
                                           "of 100"))).to_be_visible()
    assert_accessible(page)
    page.goto(live_server(f"/calls/{world.call}/results/reviews"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Every counted review of %(title)s", title="2026 可核验的微民生项目"))
    assert_accessible(page)
    phone = new_page(width=PHONE_WIDTH, height=740)
    for path in (f"/calls/{world.call}/draws", f"/calls/{world.call}/results", f"/calls/{world.call}/results/reviews"):
        phone.goto(live_server(path))
        # What sticks out, outside the tables that scroll on their own (for the failure message).
        wide = phone.evaluate(
            """(limit) => Array.from(document.querySelectorAll('body *'))
                 .filter(e => e.getBoundingClientRect().right > limit
                              && !(e.parentElement && e.parentElement.closest('.table-wrap')))
                 .slice(0, 8).map(e => e.tagName.toLowerCase() + ' ' + (e.textContent || '').trim().slice(0, 40))""",
            PHONE_WIDTH)
        assert scroll_width(phone) <= PHONE_WIDTH, (path, wide)
