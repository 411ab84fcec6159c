"""The proposal journey in a real browser, in Chinese and in English: an
organizer writes a call in the form and opens it; it is listed publicly; a
group owner starts a proposal, writes it (the budget total follows the
typing, autosave keeps the text), attaches the required file, checks and
submits it, and gets a receipt on screen and by e-mail. Every screen on the
way passes axe-core; the call page, the editor and the receipt fit a
360-pixel phone; the editor's fields come in a sensible Tab order."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.numbers import format_currency
from flask import Flask
from playwright.sync_api import expect

from tests.builders import make_body, make_call, pdf_bytes
from tests.conftest import make_user
from tests.e2e.conftest import (
    Catalogue,
    LiveServer,
    Pages,
    assert_accessible,
    assert_html_lang,
    log_in,
    make_group,
    newest_mail,
    scroll_width,
)
from venture.calls.models import Phase
from venture.core.timeutil import utcnow
from venture.extensions import db

LOCALES = ["zh_CN", "en"]
PHONE_WIDTH = 360
ZONE = ZoneInfo("Asia/Shanghai")
BODY = "天河区民政局"
ORGANIZER = "organizer@example.org"
OWNER = "owner@example.org"
RECEIPT_NUMBER = re.compile(r"\d{4}-(ML|SV)-\d{4}")
FINGERPRINT = re.compile(r"[0-9a-f]{64}")

TEXT = {
    "zh_CN": {
        "organizer": "周敏", "owner": "林小红", "group": "阳光里邻里互助队",
        "call": "2026 社区微民生项目", "call_summary": "资助居民自己发起的社区小项目。",
        "themes": "长者关爱\n儿童成长", "districts": "天河区\n越秀区", "attachment": "预算表",
        "criteria": [("需求是否真实", "40"), ("方案是否可行", "60")],
        "upcoming": "明年的征集",
        "title": "楼顶菜园", "title_revised": "楼顶共享菜园",
        "summary": "把闲置的楼顶变成居民一起打理的菜园。",
        "summary_more": "长者和孩子一起参加。",
        "section": "这一部分写得很具体：{n}。", "beneficiaries": "120",
        "budget": [("种子和工具", "50", "100"), ("围栏", "1500.5", "2")],
    },
    "en": {
        "organizer": "Zhou Min", "owner": "Lin Xiaohong", "group": "Sunny Lane Neighbours",
        "call": "2026 community micro-livelihood projects",
        "call_summary": "Small grants for projects residents start themselves.",
        "themes": "Elderly care\nChildren", "districts": "Tianhe\nYuexiu", "attachment": "Budget sheet",
        "criteria": [("Real need", "40"), ("Feasible plan", "60")],
        "upcoming": "Next year's call",
        "title": "Rooftop garden", "title_revised": "Shared rooftop garden",
        "summary": "Turn the empty rooftop into a garden residents tend together.",
        "summary_more": " Old and young take part.",
        "section": "This part is written in detail: {n}.", "beneficiaries": "120",
        "budget": [("Seeds and tools", "50", "100"), ("Fencing", "1500.5", "2")],
    },
}


def h1(page: Any) -> Any:
    return page.locator("main h1")


def flash(page: Any) -> Any:
    return page.locator(".flashes")


def local_input(moment: datetime) -> str:
    """The value a datetime-local input takes."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def yuan(amount: str, t: Catalogue) -> str:
    """An amount as both the server (Babel) and the browser (Intl) write it."""
    return format_currency(Decimal(amount), "CNY", locale=Locale.parse(t.locale))


def message_pattern(text: str) -> re.Pattern[str]:
    """A translated message with %(name)s placeholders, as a regular expression."""
    parts = re.split(r"%\(\w+\)[sd]", text)
    return re.compile(".+".join(re.escape(part) for part in parts))


def set_user_locale(app: Flask, user_id: int, locale: str) -> None:
    """As if the person had registered in this language (mail follows it)."""
    from venture.accounts.models import User

    with app.app_context():
        db.session.get(User, user_id).locale = locale
        db.session.commit()


def stored_proposal(app: Flask, proposal_id: int) -> Any:
    from venture.proposals.models import Proposal

    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        _ = proposal.versions, proposal.attachments
        db.session.expunge_all()
        return proposal


def proposal_id_of(page: Any) -> int:
    found = re.search(r"/proposals/(\d+)/", page.url)
    assert found, page.url
    return int(found.group(1))


def assert_fits_phone(page: Any, what: str) -> None:
    width = scroll_width(page)
    if width > PHONE_WIDTH:
        wide = page.evaluate(
            """(limit) => Array.from(document.querySelectorAll('body *'))
                 .filter(e => e.getBoundingClientRect().right > limit && !e.closest('.table-wrap'))
                 .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                   + ' right=' + Math.round(e.getBoundingClientRect().right))""", PHONE_WIDTH)
        pytest.fail(f"{what}: the page is {width}px wide at {PHONE_WIDTH}px; too wide: {wide}")


def trigger_autosave(page: Any) -> None:
    """What the editor does when the tab is hidden (instead of waiting 20 s)."""
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
        delete document.visibilityState;
    }""")


# The journey -------------------------------------------------------------------------

def organizer_creates_and_opens_a_call(server: LiveServer, page: Any, t: Catalogue,
                                       text: dict[str, Any], body_id: int) -> tuple[int, datetime]:
    now = datetime.now(ZONE).replace(second=0, microsecond=0, tzinfo=None)
    closes = now + timedelta(days=10, hours=3)
    page.goto(server(f"/bodies/{body_id}/calls/new"))
    expect(h1(page)).to_have_text(t("New call for %(body)s", body=BODY))
    assert_accessible(page)
    page.get_by_label(t("Micro-livelihood project"), exact=True).check()
    page.get_by_label(t("Title"), exact=True).fill(text["call"])
    page.get_by_label(t("Summary"), exact=True).fill(text["call_summary"])
    page.get_by_label(t("Theme areas"), exact=True).fill(text["themes"])
    page.get_by_label(t("Districts"), exact=True).fill(text["districts"])
    page.get_by_label(t("Grassroots groups may apply"), exact=True).check()
    page.get_by_label(t("Total budget (yuan)"), exact=True).fill("200000")
    page.get_by_label(t("Minimum per proposal (yuan)"), exact=True).fill("2000")
    page.get_by_label(t("Maximum per proposal (yuan)"), exact=True).fill("30000")
    expect(page.get_by_label(t("Time zone of the dates below"), exact=True)).to_have_value("Asia/Shanghai")
    page.get_by_label(t("Opens at"), exact=True).fill(local_input(now - timedelta(hours=1)))
    page.get_by_label(t("Closes at"), exact=True).fill(local_input(closes))
    page.get_by_label(t("Required attachments"), exact=True).fill(text["attachment"])
    rubric = page.locator("#criteria")
    for index, (name, weight) in enumerate(text["criteria"]):
        row = rubric.get_by_role("group", name=t("Criterion %(n)d", n=index + 1))
        row.get_by_label(t("Criterion"), exact=True).fill(name)
        row.get_by_label(t("Weight (%)"), exact=True).fill(weight)
        row.get_by_label(t("Maximum points"), exact=True).fill("10")
    page.locator("main form.wide-form").get_by_role("button", name=t("Save"), exact=True).click()

    # The manage page: a draft, with the button that opens it.
    expect(page).to_have_url(re.compile(re.escape(server.url) + r"/calls/\d+/manage$"))
    call_id = int(page.url.split("/")[-2])
    expect(flash(page)).to_contain_text(t("The call is saved as a draft. Nobody else sees it until you open it."))
    expect(h1(page)).to_have_text(t("Manage %(name)s", name=text["call"]))
    expect(page.locator("main .badge")).to_have_text(t("Draft"))
    assert_accessible(page)
    page.get_by_role("button", name=t("Open the call"), exact=True).click()
    expect(flash(page)).to_contain_text(t("The call is now: %(phase)s.", phase=t("Open")))
    expect(page.locator("main .badge")).to_have_text(t("Accepting proposals"))
    expect(page.get_by_role("button", name=t("Open the call"), exact=True)).to_have_count(0)
    return call_id, closes


def public_list_shows_the_call(server: LiveServer, page: Any, t: Catalogue, text: dict[str, Any]) -> None:
    page.goto(server("/calls/"))
    expect(h1(page)).to_have_text(t("Open calls"))
    cards = page.locator(".call-card")
    expect(cards).to_have_count(2)
    ours = cards.filter(has=page.get_by_role("link", name=text["call"], exact=True))
    expect(ours.locator(".badge")).to_have_text(t("Accepting proposals"))
    expect(ours).to_contain_text(text["call_summary"])
    assert_accessible(page)

    page.get_by_label(t("Phase"), exact=True).select_option("accepting")
    page.get_by_role("button", name=t("Show calls"), exact=True).click()
    expect(page).to_have_url(re.compile(r"phase=accepting"))
    expect(page.locator("main p[role=status]")).to_have_text(t.ngettext("%(num)d call", "%(num)d calls", 1))
    expect(cards).to_have_count(1)
    expect(cards.get_by_role("link")).to_have_text(text["call"])

    page.get_by_label(t("Phase"), exact=True).select_option("upcoming")
    page.get_by_role("button", name=t("Show calls"), exact=True).click()
    expect(cards).to_have_count(1)
    expect(cards.get_by_role("link")).to_have_text(text["upcoming"])


@pytest.mark.parametrize("locale", LOCALES)
def test_organizer_opens_a_call_and_a_group_submits_a_proposal(
        live_server: LiveServer, new_page: Pages, locale: str, t: Catalogue) -> None:
    server = live_server
    app = server.app
    text = TEXT[locale]
    organizer_id = make_user(app, ORGANIZER, name=text["organizer"])
    set_user_locale(app, organizer_id, locale)
    body_id = make_body(app, ORGANIZER, name=BODY)
    owner_id = make_user(app, OWNER, name=text["owner"])
    set_user_locale(app, owner_id, locale)
    make_group(app, owner_id, name=text["group"])
    # Another published call, not yet accepting proposals, for the list filter.
    make_call(app, body_id, Phase.OPEN, title=text["upcoming"], opens_at=utcnow() + timedelta(days=30),
              closes_at=utcnow() + timedelta(days=60))

    # 1. The organizer writes the call, sees the draft, opens it; it is listed.
    organizer = new_page()
    log_in(organizer, server, ORGANIZER)
    assert_html_lang(organizer, locale)
    call_id, closes = organizer_creates_and_opens_a_call(server, organizer, t, text, body_id)
    public_list_shows_the_call(server, organizer, t, text)

    # 2. The group owner finds the call: deadline, time left, rubric.
    page = new_page()
    log_in(page, server, OWNER)
    page.goto(server("/calls/"))
    page.get_by_role("link", name=text["call"], exact=True).click()
    expect(page).to_have_url(server(f"/calls/{call_id}"))
    expect(h1(page)).to_have_text(text["call"])
    deadline = page.locator("section[aria-labelledby=deadline-title]")
    expect(deadline.locator("time")).to_have_count(2)
    expect(deadline.locator("strong")).to_have_text(
        t.ngettext("%(num)d day left", "%(num)d days left", 10))
    expect(deadline).to_contain_text(str(closes.year))
    rubric = page.locator("section[aria-labelledby=rubric-title] tbody tr")
    expect(rubric).to_have_count(2)
    for row, (name, weight) in zip(rubric.all(), text["criteria"], strict=True):
        expect(row.locator("th")).to_have_text(name)
        expect(row.locator("td").first).to_have_text(f"{weight}%")
    expect(page.locator("section[aria-labelledby=rules-title]")).to_contain_text(text["attachment"])
    assert_accessible(page)

    apply = page.locator("section[aria-labelledby=apply-title]")
    expect(apply.get_by_label(t("Apply as"), exact=True)).to_have_text(text["group"])
    apply.get_by_label(t("Apply as"), exact=True).select_option(label=text["group"])
    apply.get_by_role("button", name=t("Start a proposal"), exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(server.url) + r"/proposals/\d+/edit$"))
    proposal_id = proposal_id_of(page)
    expect(flash(page)).to_contain_text(t(
        "Your draft is started. It is saved on this site; only members of %(group)s can see it.",
        group=text["group"]))
    expect(h1(page)).to_have_text(t("Untitled proposal"))

    # The editor: title and summary, then autosave (as when the tab is hidden).
    form = page.locator("#proposal-form")
    form.get_by_label(t("Title of the project"), exact=True).fill(text["title"])
    form.get_by_label(t("Summary"), exact=True).fill(text["summary"])
    summary = form.get_by_label(t("Summary"), exact=True)
    summary.press("End")
    summary.press_sequentially(text["summary_more"])
    summary_text = text["summary"] + text["summary_more"]
    expect(summary).to_have_value(summary_text)
    trigger_autosave(page)
    status = page.locator("#autosave-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_text(message_pattern(t("Saved at %(time)s")))
    saved = stored_proposal(app, proposal_id)
    assert saved.title == text["title"]
    assert saved.summary == summary_text

    # District, theme, beneficiaries and every section.
    districts = text["districts"].split("\n")
    themes = text["themes"].split("\n")
    form.get_by_label(t("District"), exact=True).select_option(districts[0])
    form.get_by_label(t("Theme"), exact=True).select_option(themes[1])
    form.get_by_label(t("Number of beneficiaries"), exact=True).fill(text["beneficiaries"])
    sections = form.locator("textarea[name^=section_]")
    expect(sections).to_have_count(3)  # the micro-livelihood defaults
    for index in range(sections.count()):
        sections.nth(index).fill(text["section"].format(n=index + 1))

    # The budget: the total follows the typing.
    total = page.locator("#budget-total")
    expect(total).to_have_text(yuan("0", t))
    (item0, cost0, qty0), (item1, cost1, qty1) = text["budget"]
    page.locator("#budget-0-item").fill(item0)
    page.locator("#budget-0-unit_cost").press_sequentially(cost0)
    expect(total).to_have_text(yuan("0", t))  # no quantity yet
    page.locator("#budget-0-quantity").press_sequentially(qty0[0])
    expect(total).to_have_text(yuan("50", t))
    page.locator("#budget-0-quantity").press_sequentially(qty0[1:])
    expect(page.locator("#budget-0 .subtotal")).to_have_text(yuan("5000", t))
    expect(total).to_have_text(yuan("5000", t))
    page.locator("#budget-1-item").fill(item1)
    page.locator("#budget-1-unit_cost").press_sequentially(cost1)
    page.locator("#budget-1-quantity").press_sequentially(qty1)
    expect(page.locator("#budget-1 .subtotal")).to_have_text(yuan("3001", t))
    expect(total).to_have_text(yuan("8001", t))
    page.locator("#budget-0-quantity").fill("10")
    expect(total).to_have_text(yuan("3501", t))
    page.locator("#budget-0-quantity").fill(qty0)
    expect(total).to_have_text(yuan("8001", t))

    # The required attachment, then save.
    attachment = form.get_by_label(text["attachment"], exact=True)
    attachment.set_input_files(files=[{"name": "budget-sheet.pdf", "mimeType": "application/pdf",
                                       "buffer": pdf_bytes()}])
    form.get_by_role("button", name=t("Save draft"), exact=True).click()
    expect(flash(page)).to_contain_text(t("Your draft is saved."))
    # What was just saved ("50" is now "50.00") is not offered back as unsaved text.
    page.wait_for_load_state()  # editor.js has run
    unsaved = page.get_by_role("alert").filter(
        has_text=t("This browser has text for this proposal that was not saved. Restore it?"))
    expect(unsaved).to_have_count(0)
    expect(h1(page)).to_have_text(text["title"])
    expect(page.locator("#attachment-a1 .attached a")).to_have_text("budget-sheet.pdf")
    expect(total).to_have_text(yuan("8001", t))
    expect(form.get_by_label(t("Summary"), exact=True)).to_have_value(summary_text)
    saved = stored_proposal(app, proposal_id)
    assert saved.requested_fen == 800_100
    assert saved.district == districts[0] and saved.theme == themes[1] and saved.beneficiaries == 120
    assert [a.filename for a in saved.attachments] == ["budget-sheet.pdf"]
    assert_accessible(page)

    # The connection drops: autosave fails, the text stays in this browser and
    # is offered back when the editor is opened again.
    page.route("**/autosave", lambda route: route.abort())
    title = form.get_by_label(t("Title of the project"), exact=True)
    title.fill(text["title_revised"])
    trigger_autosave(page)
    page.goto(server(f"/proposals/{proposal_id}/edit"))
    page.unroute("**/autosave")
    expect(title).to_have_value(text["title"])
    expect(unsaved).to_be_visible()
    unsaved.get_by_role("button", name=t("Restore the unsaved text"), exact=True).click()
    expect(unsaved).to_have_count(0)
    expect(title).to_have_value(text["title_revised"])
    expect(status).to_have_text(t("Restored. Save to keep it."))

    # Check, then submit.
    form.get_by_role("button", name=t("Save and check before submitting"), exact=True).click()
    expect(page).to_have_url(server(f"/proposals/{proposal_id}/submit"))
    expect(h1(page)).to_have_text(t("Check and submit"))
    expect(page.locator("main .flash-success")).to_have_text(t("Everything the call asks for is there."))
    expect(page.locator("#problems-title")).to_have_count(0)
    expect(page.locator("#leaks-title")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name=t("Submit the proposal"), exact=True).click()

    # The receipt.
    expect(page).to_have_url(server(f"/proposals/{proposal_id}/versions/1/receipt"))
    expect(flash(page)).to_contain_text(t("Your proposal is submitted. Keep the receipt below."))
    number = page.locator(".receipt dd strong").inner_text().strip()
    assert RECEIPT_NUMBER.fullmatch(number), number
    assert number.split("-")[1] == "ML"
    expect(h1(page)).to_have_text(t("Receipt %(number)s", number=number))
    expect(page.locator("main .lead")).to_have_text(
        t("The proposal “%(title)s” was received.", title=text["title_revised"]))
    fingerprint = page.locator("code.fingerprint").inner_text().strip()
    assert FINGERPRINT.fullmatch(fingerprint), fingerprint
    expect(page.locator(".receipt")).to_contain_text("budget-sheet.pdf")
    assert_accessible(page)
    submitted = stored_proposal(app, proposal_id)
    assert submitted.number == number and submitted.status.value == "submitted"
    assert [v.fingerprint for v in submitted.versions] == [fingerprint]

    mail = newest_mail(app, OWNER)
    assert mail.subject == t("Receipt %(number)s: your proposal was submitted", number=number)
    assert fingerprint in mail.body_text
    assert f"{server.url}/proposals/{proposal_id}/versions/1/receipt" in mail.body_text

    # 4. On a 360-pixel phone nothing scrolls sideways (tables scroll in their wrapper).
    phone = new_page(width=PHONE_WIDTH, height=740)
    log_in(phone, server, OWNER)
    for what, path in (("call page", f"/calls/{call_id}"), ("editor", f"/proposals/{proposal_id}/edit"),
                       ("receipt", f"/proposals/{proposal_id}/versions/1/receipt")):
        phone.goto(server(path))
        expect(h1(phone)).to_be_visible()
        assert_fits_phone(phone, what)


# 5. The keyboard --------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_tab_goes_through_the_editor_in_reading_order(live_server: LiveServer, page: Any,
                                                      locale: str, t: Catalogue) -> None:
    server = live_server
    app = server.app
    make_user(app, ORGANIZER)
    body_id = make_body(app, ORGANIZER)
    call_id = make_call(app, body_id, Phase.OPEN)
    owner_id = make_user(app, OWNER, name=TEXT[locale]["owner"])
    make_group(app, owner_id, name=TEXT[locale]["group"])
    log_in(page, server, OWNER)
    page.goto(server(f"/calls/{call_id}"))
    page.get_by_role("button", name=t("Start a proposal"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/proposals/\d+/edit$"))

    page.locator("main h1").click()  # start from the top of the main content
    reached: list[str] = []
    save_button = "button:" + t("Save draft")
    for _ in range(80):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("""() => {
            const el = document.activeElement;
            if (!el) return '';
            if (el.tagName === 'BUTTON') return 'button:' + el.textContent.trim();
            return el.id || el.tagName.toLowerCase();
        }"""))
        if reached[-1] == save_button:
            break
    assert save_button in reached, f"Tab never reached the Save button: {reached}"
    expected = ["title", "summary", "district", "theme", "beneficiaries", "section_problem",
                "section_activities", "section_beneficiaries", "budget-0-item", "budget-0-unit_cost",
                "budget-0-quantity", "budget-1-item", "file_a1", "file_other", save_button]
    missing = [name for name in expected if name not in reached]
    assert not missing, f"not reachable with Tab: {missing} (reached {reached})"
    positions = [reached.index(name) for name in expected]
    assert positions == sorted(positions), f"Tab order is {reached}"
