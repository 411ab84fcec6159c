"""One way to write moments and days for people, in each language
(venture/core/l10n.py), and telling Chinese from Latin script (venture/core/text.py)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale
from markupsafe import Markup

from venture.core import l10n
from venture.core.text import written_language
from venture.web import format_day, format_moment, lang_attribute

MOMENT = datetime(2026, 12, 23, 0, 51, 42, tzinfo=UTC)  # 08:51:42 in Beijing


@pytest.mark.parametrize(("locale", "expected"), [("zh_CN", "2026年12月23日 08:51"), ("en", "23 Dec 2026, 08:51")])
def test_a_moment_has_no_seconds_and_no_zone_inside(bare_app, locale, expected):
    with force_locale(locale):
        for format in ("short", "medium", "long"):
            assert format_moment(MOMENT, format) == expected
        assert l10n.format_moment(MOMENT) == expected


def test_a_deadline_names_its_zone_once_after_the_moment(bare_app):
    with force_locale("zh_CN"):
        text = format_moment(MOMENT, "full")
        assert text == "2026年12月23日 08:51（北京时间）"
        assert "+0800" not in text and "中国标准时间" not in text and "星期" not in text
    with force_locale("en"):
        assert format_moment(MOMENT, "full") == "23 Dec 2026, 08:51 (Beijing time)"


def test_another_zone_is_named_by_its_offset(bare_app):
    with force_locale("en"), l10n.force_timezone("Asia/Kolkata"):
        assert format_moment(MOMENT, "full") == "23 Dec 2026, 06:21 (UTC+05:30)"
    with force_locale("en"), l10n.force_timezone("UTC"):
        assert format_moment(MOMENT, "full") == "23 Dec 2026, 00:51 (UTC)"
    with force_locale("en"):
        assert format_moment(MOMENT) == "23 Dec 2026, 08:51", "the zone in force comes back"


def test_a_day_is_written_alike(bare_app):
    late = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # already 2 March in Beijing
    with force_locale("zh_CN"):
        assert format_day(date(2026, 12, 3)) == "2026年12月3日"
        assert format_day(late) == "2026年3月2日"
        assert format_day(date(2026, 9, 30), "short") == "2026年9月30日"
    with force_locale("en"):
        assert format_day(date(2026, 12, 3)) == "3 Dec 2026"
        assert format_day(date(2026, 9, 30), "medium") == "30 Sep 2026"
        assert format_day(None) == "" and format_moment(None) == ""


@pytest.mark.parametrize(("text", "language"), [
    ("长者食堂助餐服务", "zh-CN"),
    ("社区 AI 课堂", "zh-CN"),
    ("Meals for elders in 南山", "en"),
    ("Reading club for children", "en"),
    ("Café für Senioren", "en"),
    ("2026", None),
    ("", None),
    (None, None),
])
def test_the_script_of_a_text_is_told(text, language):
    assert written_language(text) == language


def test_text_in_another_language_than_the_page_carries_lang(bare_app):
    with force_locale("zh_CN"):
        assert lang_attribute("Reading club for children") == ' lang="en"'
        assert lang_attribute("长者食堂") == ""
        assert lang_attribute(Markup("<p><strong>长者</strong>食堂</p>")) == "", "tags are no words"
    with force_locale("en"):
        assert lang_attribute("长者食堂") == ' lang="zh-CN"'
        assert lang_attribute("Reading club") == ""
        assert lang_attribute("12345") == ""
