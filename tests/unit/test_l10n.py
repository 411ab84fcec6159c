"""The fast formatting in venture/core/l10n.py gives Babel's own text."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import flask_babel
import pytest
from babel import dates, numbers
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from venture.core import l10n

FORMATS = ("short", "medium", "long", "full")
ZONES = ("Asia/Shanghai", "Asia/Urumqi", "America/New_York", "Europe/London", "UTC")


@pytest.fixture(scope="module")
def babel_app():
    app = Flask(__name__)
    babel = flask_babel.Babel()
    state = {"locale": "zh_CN", "zone": "Asia/Shanghai"}
    babel.init_app(app, locale_selector=lambda: state["locale"], timezone_selector=lambda: state["zone"])
    app.config["state"] = state
    return app


def _in(app, locale, zone):
    app.config["state"].update(locale=locale, zone=zone)
    return app.test_request_context("/")


@settings(max_examples=300, deadline=None)
@given(fen=st.integers(min_value=-10**13, max_value=10**13), locale=st.sampled_from(["zh_CN", "en"]))
def test_money_reads_as_babel_writes_it(babel_app, fen, locale):
    with _in(babel_app, locale, "Asia/Shanghai"):
        expected = numbers.format_currency(Decimal(fen) / 100, "CNY", locale=flask_babel.get_locale())
        assert l10n.format_money(fen) == expected


@settings(max_examples=400, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)),
       aware=st.booleans(), locale=st.sampled_from(["zh_CN", "en"]), zone=st.sampled_from(ZONES),
       format=st.sampled_from(FORMATS))
def test_dates_and_times_read_as_flask_babel_writes_them(babel_app, moment, aware, locale, zone, format):
    if aware:
        moment = moment.replace(tzinfo=UTC)
    with _in(babel_app, locale, zone):
        assert l10n.format_datetime(moment, format) == flask_babel.format_datetime(moment, format)
        assert l10n.format_date(moment, format) == flask_babel.format_date(moment, format)
        assert l10n.format_date(moment.date(), format) == flask_babel.format_date(moment.date(), format)


def test_a_custom_pattern_is_left_to_babel(babel_app):
    moment = datetime(2026, 3, 5, 4, 7, 9, tzinfo=UTC)
    with _in(babel_app, "en", "UTC"):
        assert l10n.format_datetime(moment, "yyyy-MM-dd HH:mm") == "2026-03-05 04:07"
        assert l10n.format_date(date(2026, 3, 5), "QQQ y") == dates.format_date(date(2026, 3, 5), "QQQ y", "en")


def test_the_catalogue_follows_a_forced_locale_and_is_kept_for_the_request(app):
    from flask_babel import force_locale, gettext

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert gettext("My reviews") == "My reviews"
        first = l10n.translations()
        with force_locale("zh_CN"):
            assert gettext("My reviews") == "我的评审"
            assert l10n.translations() is not first
        assert gettext("My reviews") == "My reviews"
        assert l10n.translations() is first


def test_templates_translate_through_the_kept_catalogue(app):
    from flask import render_template_string

    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        text = render_template_string("{{ _('My reviews') }}|{{ ngettext('%(num)d review', '%(num)d reviews', 3) }}")
        assert text.split("|")[0] == "我的评审"
        assert "3" in text.split("|")[1]


def test_summer_time_changes_the_zone_name(babel_app):
    with _in(babel_app, "en", "America/New_York"):
        winter = datetime(2026, 1, 10, 12, tzinfo=UTC)
        summer = winter + timedelta(days=180)
        assert l10n.format_datetime(winter, "full") == flask_babel.format_datetime(winter, "full")
        assert l10n.format_datetime(summer, "full") == flask_babel.format_datetime(summer, "full")
