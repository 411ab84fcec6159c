"""Every message in its reader's language and the one way of writing dates:
mail in the recipient's language and time zone (never the sender's), pages
and exports with the same formats in each language."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import update

from tests.conftest import Client, login, outbox
from tests.project_builders import make_project_world
from tests.results_builders import make_results_world, review_table
from venture.accounts.models import User
from venture.extensions import db
from venture.projects.models import Project

ZH_MOMENT = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}(?!:)")
EN_MOMENT = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}, \d{2}:\d{2}(?!:)")
NOT_IN_DATES = ("+0800", "中国标准时间", "China Standard Time", "GMT")


def _client(app, email):
    client = Client(app, app.response_class, use_cookies=True)
    login(client, email)
    return client


def _speaks(app, email, locale, zone="Asia/Shanghai"):
    with app.app_context():
        db.session.execute(update(User).where(User.email == email).values(locale=locale, timezone=zone))
        db.session.commit()


@pytest.fixture
def world(app):
    world = make_results_world(app)
    review_table(app, world)
    return world


def test_a_chinese_recipient_gets_chinese_mail_when_an_english_organizer_sends_it(app, world):
    _speaks(app, "organizer@example.org", "en", "Europe/London")
    _speaks(app, "owner0@example.org", "zh_CN")
    _speaks(app, "owner1@example.org", "en")
    organizer = _client(app, "organizer@example.org")
    assert organizer.submit(f"/calls/{world.call}/deliberation/open-notice", {},
                            headers={"Accept-Language": "en"}).status_code == 302

    chinese = outbox(app, "owner0@example.org")[0]
    assert "结果公示" in chinese.subject or "公示" in chinese.subject, chinese.subject
    assert "获资助" in chinese.body_text, "the outcome label is written in the recipient's language"
    assert "Funded" not in chinese.body_text and "Hello" not in chinese.body_text
    assert ZH_MOMENT.search(chinese.body_text), chinese.body_text
    assert "（北京时间）" in chinese.body_text, "the deadline in the recipient's zone, not London's"
    assert not any(word in chinese.body_text for word in NOT_IN_DATES)

    english = outbox(app, "owner1@example.org")[0]
    assert "Not funded" in english.body_text and "获资助" not in english.body_text
    assert EN_MOMENT.search(english.body_text) and "(Beijing time)" in english.body_text, english.body_text
    assert not any(word in english.body_text for word in NOT_IN_DATES)


@pytest.mark.parametrize(("language", "pattern", "zone"), [
    ("zh-CN", ZH_MOMENT, "（北京时间）"), ("en", EN_MOMENT, "(Beijing time)")])
def test_the_call_page_writes_its_dates_one_way(app, world, client, language, pattern, zone):
    page = client.get(f"/calls/{world.call}", headers={"Accept-Language": language}).get_data(as_text=True)
    dates = page[page.index('id="deadline-title"'):page.index("</dl>", page.index('id="deadline-title"'))]
    assert len(pattern.findall(dates)) >= 2, "opening and closing time"
    assert dates.count(zone) == 1, "the zone is said once, with the closing time"
    assert not any(word in page for word in NOT_IN_DATES)


@pytest.mark.parametrize(("locale", "day"), [("zh_CN", "2027年1月4日"), ("en", "4 Jan 2027")])
def test_the_projects_export_writes_days_and_words_in_the_readers_language(app, locale, day):
    world = make_project_world(app)
    _speaks(app, "organizer@example.org", locale)
    with app.app_context():
        db.session.execute(update(Project).where(Project.id.in_(world.projects))
                           .values(starts_on=date(2027, 1, 4), ends_on=date(2027, 6, 30)))
        db.session.commit()
    organizer = _client(app, "organizer@example.org")
    response = organizer.get(f"/calls/{world.call}/projects.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][4] == day and "2027-01-04" not in response.get_data(as_text=True)
    if locale == "zh_CN":
        assert rows[0][0] != "Number", "headers in the reader's language"
        assert re.search(r"[\u4e00-\u9fff]", rows[1][3]), f"the stage is a word, translated: {rows[1][3]}"
    else:
        assert rows[0][:3] == ["Number", "Project", "Group"] and rows[1][3].isascii()


def test_user_text_in_another_language_than_the_page_carries_lang(app, client):
    from tests.builders import make_body, make_call, make_group
    from tests.conftest import make_user
    from tests.web.test_showcase import make_proposal
    from venture.calls.models import Phase

    for email in ("owner@example.org", "other@example.org", "org@example.org"):
        make_user(app, email)
    call = make_call(app, make_body(app, "org@example.org"), Phase.OPEN)
    chinese = make_proposal(app, call, "owner@example.org", make_group(app, "owner@example.org", name="互助队"),
                            title="邻里菜园")
    english = make_proposal(app, call, "other@example.org", make_group(app, "other@example.org", name="Neighbours"),
                            title="Neighbourhood garden", index=1)

    listing = client.get("/showcase", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'<h2 class="card-title" lang="zh-CN"><a [^>]*>邻里菜园</a>', listing)
    assert re.search(r'<h2 class="card-title"><a [^>]*>Neighbourhood garden</a>', listing), "same as the page"
    page = client.get(f"/proposals/{chinese}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<h1 id="proposal-title" lang="zh-CN">邻里菜园</h1>' in page
    page = client.get(f"/proposals/{english}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<h1 id="proposal-title" lang="en">Neighbourhood garden</h1>' in page
    assert '<p class="lead" lang="zh-CN">' not in page, "a Chinese summary on a Chinese page needs no lang"


def _levels(page):
    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", page)]


def test_headings_in_user_text_stay_below_the_pages_own(app, client):
    from tests.builders import make_body, make_call
    from tests.conftest import make_user
    from venture.calls.models import Call, Phase
    from venture.core.sanitize import render_markdown

    make_user(app, "org@example.org")
    call = make_call(app, make_body(app, "org@example.org"), Phase.OPEN)
    with app.app_context():
        db.session.execute(update(Call).where(Call.id == call).values(
            text_html=render_markdown("# 总则\n\n说明\n\n## 申报条件\n\n条件\n\n# 附则\n")))
        db.session.commit()
    page = client.get(f"/calls/{call}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    part = page[page.index('id="text-title"'):]
    assert "<h3>总则</h3>" in part and "<h4>申报条件</h4>" in part, "# under the h2 section is an h3"
    levels = _levels(page)
    assert levels[0] == 1 and all(after <= before + 1 for before, after in zip(levels, levels[1:])), levels
