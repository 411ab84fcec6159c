"""The showcase in a real browser, in Chinese and in English: a resident
browses the public proposals (filter, sort), opens one and supports it; while
the call is open the group is never named, nor the receipt number. The
thread: a comment in Markdown, the applicant team's anonymous reply, an edit
within the window, a report, and the organizer hiding the comment from the
moderation queue. The header search finds proposals by Chinese and English
words and marks them. Every screen passes axe-core; the proposal page with
its comments and the showcase fit a 360-pixel phone."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select, update

from tests.builders import make_body, make_call, make_group
from tests.conftest import make_user
from tests.e2e.conftest import (
    Catalogue,
    LiveServer,
    Pages,
    assert_accessible,
    assert_html_lang,
    log_in,
    make_public_proposal,
    scroll_width,
)
from venture.calls.models import Phase
from venture.extensions import db

LOCALES = ["zh_CN", "en"]
PHONE_WIDTH = 360

ORGANIZER = "organizer@example.org"
OWNER = "owner@example.org"
MEMBER = "member@example.org"
RESIDENT = "resident@example.org"
NEIGHBOUR = "neighbour@example.org"
OTHERS = ("rooftop@example.org", "reading@example.org")

# People and groups whose names must never appear while review is blind.
OWNER_NAME = "欧阳晓红"
MEMBER_NAME = "司马明珠"
RESIDENT_NAME = "居民王丽"
GROUP = "幸福里邻里互助队"
OTHER_GROUPS = ("Skyline Neighbours Club", "书香儿童小组")
SECRETS = (GROUP, *OTHER_GROUPS, OWNER_NAME, MEMBER_NAME, OWNER, MEMBER)

ELDERLY, CHILDREN = "长者关爱", "儿童成长"  # the call's themes (tests.builders.rules)
GARDEN = "邻里共享菜园"
ROOFTOP = "Rooftop garden for the elderly"
READING = "儿童阅读角"

COMMENT = {
    "zh_CN": ("好主意！**谁来浇水**？请看[种植指南](https://example.org/guide)。", "谁来浇水", "种植指南"),
    "en": ("Good idea! **Who waters it** in August? See [the planting guide](https://example.org/guide).",
           "Who waters it", "the planting guide"),
}
EDITED = {
    "zh_CN": "好主意！**谁来浇水**？暑假也要有人管。请看[种植指南](https://example.org/guide)。",
    "en": "Good idea! **Who waters it** in the summer holidays? See [the planting guide](https://example.org/guide).",
}
EDITED_WORDS = {"zh_CN": "暑假也要有人管", "en": "summer holidays"}
REPLY = {"zh_CN": "每周六我们轮流浇水。", "en": "We take turns every Saturday."}
REPORT = {"zh_CN": "与项目无关的推广", "en": "Promotes an outside business"}
HIDE = {"zh_CN": "含有广告链接", "en": "Contains an advertising link"}


@dataclass
class World:
    body: int
    call: int
    garden: int
    rooftop: int
    reading: int
    number: str  # the garden proposal's receipt number, never shown in public while blind


def build_world(app: Flask) -> World:
    """An open call (review is blind) with three public proposals: the
    rooftop garden (oldest, the most supported), the reading corner (another
    theme) and the shared garden (newest, no support yet)."""
    from venture.proposals.models import Proposal

    make_user(app, ORGANIZER, name="周敏")
    make_user(app, OWNER, name=OWNER_NAME)
    make_user(app, MEMBER, name=MEMBER_NAME)
    make_user(app, RESIDENT, name=RESIDENT_NAME)
    make_user(app, NEIGHBOUR, name="邻居陈涛")
    for email, name in zip(OTHERS, ("屋顶菜园负责人", "阅读角负责人"), strict=True):
        make_user(app, email, name=name)  # not "Rooftop": a member's name is redacted in the proposal
    body = make_body(app, ORGANIZER)
    call = make_call(app, body, Phase.OPEN)
    group = make_group(app, OWNER, name=GROUP, members=(MEMBER,))
    rooftop_group, reading_group = (make_group(app, email, name=name)
                                    for email, name in zip(OTHERS, OTHER_GROUPS, strict=True))
    rooftop = make_public_proposal(app, call, OTHERS[0], rooftop_group, ROOFTOP, theme=ELDERLY,
                                   summary="Vegetable beds on the roof, tended with the elderly residents.")
    reading = make_public_proposal(app, call, OTHERS[1], reading_group, READING, theme=CHILDREN,
                                   summary="在居委会活动室开一个儿童阅读角。")
    garden = make_public_proposal(app, call, OWNER, group, GARDEN, theme=ELDERLY,
                                  summary="把楼下的空地变成居民一起打理的菜园。")
    with app.app_context():
        db.session.execute(update(Proposal).where(Proposal.id == rooftop).values(support_count=2))
        db.session.commit()
        number = db.session.get(Proposal, garden).number
    return World(body=body, call=call, garden=garden, rooftop=rooftop, reading=reading, number=number)


def h1(page: Any) -> Any:
    return page.locator("main h1")


def flash(page: Any) -> Any:
    return page.locator(".flashes")


def assert_no_secrets(page: Any, where: str, secrets: tuple[str, ...] = SECRETS) -> None:
    html = page.content()
    found = [secret for secret in secrets if secret in html]
    assert not found, f"{where}: {found} appear(s) in the page while review is blind"


def comment_id_of(page: Any) -> int:
    found = re.search(r"#comment-(\d+)$", page.url)
    assert found, page.url
    return int(found.group(1))


def support_count(app: Flask, proposal_id: int) -> int:
    from venture.proposals.models import Proposal

    with app.app_context():
        return db.session.get(Proposal, proposal_id).support_count


def assert_fits_phone(page: Any, what: str) -> None:
    width = scroll_width(page)
    if width > PHONE_WIDTH:
        wide = page.evaluate(
            """(limit) => Array.from(document.querySelectorAll('body *'))
                 .filter(e => e.getBoundingClientRect().right > limit && !e.closest('.table-wrap'))
                 .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                   + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().replace(/\\s+/g, '.') : '')
                   + ' right=' + Math.round(e.getBoundingClientRect().right))""", PHONE_WIDTH)
        pytest.fail(f"{what}: the page is {width}px wide at {PHONE_WIDTH}px; too wide: {wide}")


def search_available(app: Flask) -> bool:
    return "search.search" in app.view_functions


def drain_search_queue(app: Flask) -> None:
    """Index what the builders queued, now (the search page would too)."""
    from venture.search import services as search

    with app.app_context():
        result = search.drain(app)
    assert not result.locked, "the search index writer is held by someone else"


# 1. Browsing and support -----------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_a_resident_filters_sorts_opens_and_supports_a_proposal(
        live_server: LiveServer, page: Any, locale: str, t: Catalogue) -> None:
    server = live_server
    world = build_world(server.app)
    log_in(page, server, RESIDENT)

    page.goto(server("/showcase"))
    assert_html_lang(page, locale)
    expect(h1(page)).to_have_text(t("Proposals"))
    titles = page.locator("ol.call-list > li.card h2")
    expect(titles).to_have_text([GARDEN, READING, ROOFTOP])  # newest first
    assert_no_secrets(page, "/showcase")

    page.get_by_label(t("Theme"), exact=True).select_option(ELDERLY)
    page.get_by_label(t("Sort by"), exact=True).select_option(label=t("Most supported"))
    page.get_by_role("button", name=t("Show proposals"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/showcase\?.*sort=supported"))
    expect(titles).to_have_text([ROOFTOP, GARDEN])
    expect(page.get_by_label(t("Sort by"), exact=True)).to_have_value("supported")
    cards = page.locator("ol.call-list > li.card")
    expect(cards.first).to_contain_text(t.ngettext("%(num)d supporter", "%(num)d supporters", 2))
    expect(cards.nth(1)).to_contain_text(t.ngettext("%(num)d supporter", "%(num)d supporters", 0))
    expect(cards.nth(1)).to_contain_text(t("Applicant not named until the review is over"))
    expect(cards.nth(1)).not_to_contain_text(world.number)  # the receipt number would match it to the blind page
    assert_no_secrets(page, "/showcase filtered")

    cards.get_by_role("link", name=GARDEN, exact=True).click()
    expect(page).to_have_url(server(f"/proposals/{world.garden}"))
    expect(h1(page)).to_have_text(GARDEN)
    expect(page.locator("main .byline")).not_to_contain_text(world.number)
    expect(page.locator("main .byline")).to_contain_text(t("The group is named when the review is over, from the public notice on."))
    assert_no_secrets(page, "proposal page")

    support = page.locator("#support")
    count = support.get_by_role("status")
    supporters = ("%(num)d resident supports this proposal.", "%(num)d residents support this proposal.")
    expect(count).to_have_text(t.ngettext(*supporters, 0))
    support.get_by_role("button", name=t("Support this proposal"), exact=True).click()
    expect(flash(page)).to_contain_text(t("Thank you: your support is counted."))
    expect(count).to_have_text(t.ngettext(*supporters, 1))
    assert support_count(server.app, world.garden) == 1

    support.get_by_role("button", name=t("Withdraw my support"), exact=True).click()
    expect(flash(page)).to_contain_text(t("Your support is withdrawn."))
    expect(count).to_have_text(t.ngettext(*supporters, 0))
    expect(support.get_by_role("button", name=t("Support this proposal"), exact=True)).to_be_visible()
    assert support_count(server.app, world.garden) == 0
    assert_no_secrets(page, "proposal page after support")


# 2. The comment thread and its moderation -----------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_comment_reply_edit_report_and_hide(live_server: LiveServer, new_page: Pages,
                                            locale: str, t: Catalogue) -> None:
    server = live_server
    world = build_world(server.app)
    proposal_url = server(f"/proposals/{world.garden}")
    text, bold, link_text = COMMENT[locale]

    # The resident writes a comment in Markdown.
    resident = new_page()
    log_in(resident, server, RESIDENT, next_url=server(f"/login?next=/proposals/{world.garden}"))
    expect(h1(resident)).to_have_text(GARDEN)
    thread = resident.locator("#comments")
    expect(thread).to_contain_text(t("No comments yet."))
    form = resident.locator("form[aria-labelledby=comment-form-title]")
    form.get_by_label(t("Your comment"), exact=True).fill(text)
    form.get_by_role("button", name=t("Publish the comment"), exact=True).click()
    expect(resident).to_have_url(re.compile(re.escape(proposal_url) + r"#comment-\d+$"))
    expect(flash(resident)).to_contain_text(t("Your comment is published."))
    comment_id = comment_id_of(resident)
    comment = resident.locator(f"#comment-{comment_id}")
    expect(comment.locator(".comment-author")).to_have_text(RESIDENT_NAME)
    expect(comment.locator(".comment-body strong")).to_have_text(bold)
    link = comment.locator(".comment-body a")
    expect(link).to_have_text(link_text)
    expect(link).to_have_attribute("href", "https://example.org/guide")
    rel = set((link.get_attribute("rel") or "").split())
    assert {"nofollow", "ugc", "noopener"} <= rel, rel
    expect(resident.locator("#comments-title")).to_contain_text("(1)")

    # A member of the applicant group replies: "Applicant team", never their name.
    member = new_page()
    log_in(member, server, MEMBER, next_url=server(f"/login?next=/proposals/{world.garden}"))
    entry = member.locator("ol.comment-list > li").filter(has=member.locator(f"#comment-{comment_id}"))
    entry.locator("details.comment-reply > summary").click()
    entry.get_by_label(t("Your reply"), exact=True).fill(REPLY[locale])
    entry.get_by_role("button", name=t("Send the reply"), exact=True).click()
    expect(flash(member)).to_contain_text(t("Your comment is published."))
    reply_id = comment_id_of(member)
    reply = member.locator(f"ol.comment-replies #comment-{reply_id}")
    expect(reply.locator(".comment-author")).to_have_text(t("Applicant team"))
    expect(reply.locator(".comment-body")).to_have_text(REPLY[locale])
    assert_no_secrets(member, "the member's own view of the thread")

    resident.goto(proposal_url)
    reply = resident.locator(f"#comment-{reply_id}")
    expect(reply.locator(".comment-author")).to_have_text(t("Applicant team"))
    assert_no_secrets(resident, "the resident's view of the reply")

    # The resident corrects the comment within the edit window.
    comment.get_by_role("link", name=t("Edit")).click()
    expect(resident).to_have_url(server(f"/comments/{comment_id}/edit"))
    expect(h1(resident)).to_have_text(t("Edit your comment"))
    body = resident.get_by_label(t("Your comment"), exact=True)
    expect(body).to_have_value(text)
    body.fill(EDITED[locale])
    resident.get_by_role("button", name=t("Save the comment"), exact=True).click()
    expect(resident).to_have_url(proposal_url + f"#comment-{comment_id}")
    expect(flash(resident)).to_contain_text(t("Your comment is saved."))
    expect(comment.locator(".comment-body")).to_contain_text(EDITED_WORDS[locale])
    expect(comment.locator(".comment-body strong")).to_have_text(bold)
    expect(comment.locator(".comment-meta")).to_contain_text(t("edited"))

    # Another resident reports it.
    neighbour = new_page()
    log_in(neighbour, server, NEIGHBOUR, next_url=server(f"/login?next=/proposals/{world.garden}"))
    reported = neighbour.locator(f"#comment-{comment_id}")
    reported.locator("details.comment-action > summary", has_text=t("Report")).click()
    reported.get_by_label(t("What is wrong with this comment?"), exact=True).fill(REPORT[locale])
    reported.get_by_role("button", name=t("Send the report"), exact=True).click()
    expect(flash(neighbour)).to_contain_text(t("Thank you. The moderators will look at this comment."))

    # The organizer finds the report in the body's queue and hides the comment.
    organizer = new_page()
    log_in(organizer, server, ORGANIZER)
    queue_url = server(f"/bodies/{world.body}/moderation")
    organizer.goto(queue_url)
    expect(h1(organizer)).to_have_text(t("Comment moderation"))
    reports = organizer.locator("section[aria-labelledby=reported-title]")
    item = reports.locator(f"article#comment-{comment_id}")
    expect(item).to_contain_text(REPORT[locale])
    expect(item.locator(".comment-body")).to_contain_text(EDITED_WORDS[locale])
    expect(item).to_contain_text(t("edited"))
    assert_no_secrets(organizer, "the moderation queue")
    assert_accessible(organizer)
    item.locator("details.comment-action > summary", has_text=t("Hide")).click()
    item.get_by_label(t("Why is this comment hidden? The author sees the reason."), exact=True).fill(HIDE[locale])
    item.get_by_role("button", name=t("Hide the comment"), exact=True).click()
    expect(organizer).to_have_url(queue_url)
    expect(flash(organizer)).to_contain_text(t("The comment is hidden. The public sees that a moderator hid it."))
    expect(reports).to_contain_text(t("No open reports."))
    hidden = organizer.locator("section[aria-labelledby=hidden-title]")
    expect(hidden.locator(f"article#comment-{comment_id}")).to_contain_text(HIDE[locale])

    # The public sees the placeholder, not the text; the reply stays.
    public = new_page()
    public.goto(proposal_url)
    gone = public.locator(f"#comment-{comment_id}")
    expect(gone.locator(".comment-placeholder")).to_have_text(t("Hidden by the moderator"))
    expect(public.locator(f"#comment-{reply_id} .comment-body")).to_have_text(REPLY[locale])
    html = public.content()
    assert EDITED_WORDS[locale] not in html and bold not in html and HIDE[locale] not in html
    assert_no_secrets(public, "the public thread")

    # The organizer still reads it, marked as hidden, with the reason.
    organizer.goto(proposal_url)
    moderated = organizer.locator(f"#comment-{comment_id}")
    expect(moderated.locator(".comment-body")).to_contain_text(EDITED_WORDS[locale])
    expect(moderated.locator(".comment-note")).to_have_text(t("Hidden by the moderator"))
    expect(moderated).to_contain_text(t("Reason: %(reason)s", reason=HIDE[locale]))
    assert_no_secrets(organizer, "the moderator's thread")


# 3. Search ---------------------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_the_header_search_finds_proposals_in_chinese_and_english(
        live_server: LiveServer, page: Any, locale: str, t: Catalogue) -> None:
    server = live_server
    if not search_available(server.app):
        pytest.skip("the /search page (endpoint search.search) is not registered yet")
    world = build_world(server.app)
    drain_search_queue(server.app)

    page.goto(server(f"/proposals/{world.garden}"))
    box = page.get_by_role("search", name=t("Site search")).get_by_label(
        t("Search calls, proposals and comments"), exact=True)
    box.fill("菜园")
    box.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(server("/search?q=")) + r"\S+"))
    expect(h1(page)).to_have_text(t("Search"))
    results = page.locator("ol.search-results > li")
    garden = results.filter(has=page.get_by_role("link", name=GARDEN, exact=True))
    expect(garden).to_have_count(1)
    expect(garden.locator("h3 mark")).to_have_text("菜园")
    expect(garden.get_by_role("link")).to_have_attribute("href", f"/proposals/{world.garden}")
    expect(results.filter(has_text=READING)).to_have_count(0)
    assert_no_secrets(page, "search results")

    # The search page keeps its own box; an English word finds the English title.
    box = page.locator("main form[role=search]").get_by_label(t("Search calls, proposals and comments"),
                                                              exact=True)
    expect(box).to_have_value("菜园")
    box.fill("rooftop")
    box.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(server("/search?q=rooftop")) + r"(&|$)"))
    rooftop = results.filter(has=page.get_by_role("link", name=ROOFTOP, exact=True))
    expect(rooftop).to_have_count(1)
    expect(rooftop.locator("h3 mark")).to_have_text("Rooftop")
    expect(results.filter(has=page.get_by_role("link", name=GARDEN, exact=True))).to_have_count(0)
    assert_no_secrets(page, "search results in English")


# 4. Accessibility and narrow screens --------------------------------------------------------

def add_comments(app: Flask, world: World) -> None:
    """A thread with a comment, the team's reply, a reported comment and a
    hidden one; made through the services."""
    from venture.accounts.models import User
    from venture.comments import services
    from venture.proposals.models import Proposal

    def user(email: str) -> User:
        return db.session.scalar(select(User).where(User.email == email))

    with app.test_request_context():
        proposal = db.session.get(Proposal, world.garden)
        first = services.post_comment(db.session, user(RESIDENT), proposal,
                                      "**谁来浇水？** 请看[种植指南](https://example.org/guide)。")
        db.session.flush()
        services.post_comment(db.session, user(MEMBER), proposal, "每周六我们轮流浇水。", first)
        reported = services.post_comment(db.session, user(NEIGHBOUR), proposal, "我家楼下也可以试试。")
        hidden = services.post_comment(db.session, user(NEIGHBOUR), proposal, "广告：低价出售花盆 13800000000")
        db.session.flush()
        services.report_comment(db.session, user(RESIDENT), reported, "与项目无关")
        services.hide_comment(db.session, user(ORGANIZER), hidden, "广告")
        db.session.commit()


@pytest.mark.parametrize("locale", LOCALES)
def test_showcase_pages_pass_axe_and_fit_a_phone(live_server: LiveServer, new_page: Pages,
                                                 locale: str, t: Catalogue) -> None:
    server = live_server
    world = build_world(server.app)
    add_comments(server.app, world)
    proposal_url = server(f"/proposals/{world.garden}")

    anonymous = new_page()
    for path in ("/showcase", f"/calls/{world.call}/proposals", f"/proposals/{world.garden}"):
        anonymous.goto(server(path))
        expect(h1(anonymous)).to_be_visible()
        assert_html_lang(anonymous, locale)
        assert_accessible(anonymous)
    expect(anonymous.locator("#comments")).to_contain_text(t("Log in to comment."))

    resident = new_page()
    log_in(resident, server, RESIDENT, next_url=server(f"/login?next=/proposals/{world.garden}"))
    expect(resident.locator("form[aria-labelledby=comment-form-title]")).to_be_visible()
    resident.locator("details.comment-reply > summary").first.click()  # the reply form open too
    expect(resident.get_by_label(t("Your reply"), exact=True).first).to_be_visible()
    assert_accessible(resident)

    organizer = new_page()
    log_in(organizer, server, ORGANIZER, next_url=server(f"/login?next=/proposals/{world.garden}"))
    expect(organizer.locator(".comment-moderation")).to_be_visible()
    expect(organizer.locator(".comment-note")).to_have_text(t("Hidden by the moderator"))
    assert_accessible(organizer)
    organizer.goto(server(f"/bodies/{world.body}/moderation"))
    expect(organizer.locator("section[aria-labelledby=reported-title] article")).to_have_count(1)
    assert_accessible(organizer)

    if search_available(server.app):
        drain_search_queue(server.app)
        anonymous.goto(server("/search?q=菜园"))
        expect(anonymous.locator("ol.search-results mark").first).to_be_visible()
        assert_accessible(anonymous)

    phone = new_page(width=PHONE_WIDTH, height=740)
    log_in(phone, server, RESIDENT)
    for what, url in (("proposal page with comments", proposal_url), ("showcase", server("/showcase"))):
        phone.goto(url)
        expect(h1(phone)).to_be_visible()
        assert_fits_phone(phone, what)
