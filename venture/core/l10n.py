"""Translations, money and dates for the request's language, cheap enough to
call hundreds of times on one page.

Flask-Babel resolves the locale and its catalogue on every ``gettext`` (about
11 µs), and Babel parses and walks a number or date pattern on every format
(20-30 µs); the call list made some 500 such calls. Here the catalogue is
resolved once per request and locale, and the money and date patterns once
per process; the output is Babel's own, character for character
(``tests/unit/test_l10n.py`` compares them).
"""
from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

import flask_babel
from babel import Locale, dates, numbers
from babel.support import NullTranslations
from flask import Flask
from flask.globals import _cv_app
from flask_babel.speaklater import LazyString

__all__ = ["force_timezone", "format_date", "format_datetime", "format_day", "format_moment", "format_money", "gettext", "install", "lazy_gettext",
           "lazy_ngettext", "ngettext", "parsed_locale", "translations"]


# Translations --------------------------------------------------------------------------

def _babel_state() -> Any:
    """Flask-Babel's per-request namespace (locale, time zone), or None
    outside an application context."""
    app_context = _cv_app.get(None)
    if app_context is None:
        return None
    state = app_context.g.__dict__.get("_flask_babel")
    return state if state is not None else flask_babel._get_current_context()  # noqa: SLF001


def translations() -> Any:
    """The catalogue of the locale in force (``force_locale`` included),
    looked up once per request and locale."""
    state = _babel_state()
    if state is None:
        return NullTranslations()
    locale = state.__dict__.get("babel_locale") or flask_babel.get_locale()
    cached = state.__dict__.get("venture_translations")
    if cached is not None and cached[0] is locale:
        return cached[1]
    found = flask_babel.Domain.get_translations(flask_babel.get_domain())
    state.venture_translations = (locale, found)
    return found


class RequestDomain(flask_babel.Domain):
    """Flask-Babel's domain, with the catalogue kept for the request; used
    by ``gettext``/``lazy_gettext`` in Python code."""

    def get_translations(self) -> Any:
        return translations()


def install(app: Flask, babel: flask_babel.Babel) -> None:
    """Use the cached catalogue for Python code and templates of ``app``."""
    babel.__dict__["domain_instance"] = RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


@functools.lru_cache(maxsize=16)
def parsed_locale(code: str) -> Locale:
    """``Locale.parse`` once per language code (it normalises against the
    list of locale data files, about 0.4 ms a time)."""
    return Locale.parse(code)


def _locale() -> Locale:
    state = _babel_state()
    locale = state.__dict__.get("babel_locale") if state is not None else None
    return locale or flask_babel.get_locale() or Locale.parse("en")


def _timezone() -> tzinfo:
    state = _babel_state()
    zone = state.__dict__.get("babel_tzinfo") if state is not None else None
    return zone or flask_babel.get_timezone()


@contextlib.contextmanager
def force_timezone(zone: str | None) -> Iterator[None]:
    """Dates written inside are in ``zone`` (a recipient's, not the sender's);
    None leaves the zone in force. The companion of ``flask_babel.force_locale``."""
    from zoneinfo import ZoneInfo

    state = flask_babel._get_current_context()  # noqa: SLF001
    if zone is None or state is None:
        yield
        return
    before = getattr(state, "babel_tzinfo", None)
    state.babel_tzinfo = ZoneInfo(zone)
    try:
        yield
    finally:
        state.babel_tzinfo = before


# Money ----------------------------------------------------------------------------------

_PROBE = Decimal("1234567.89")


@functools.lru_cache(maxsize=16)
def _money_shape(locale_id: str, currency: str) -> tuple[str, str, str, str, str, str] | None:
    """(prefix, suffix, negative prefix, negative suffix, group, decimal) of
    Babel's standard currency format in this locale, read off Babel's own
    output for a probe; None if it has another shape (then Babel formats)."""
    locale = Locale.parse(locale_id)
    group, decimal = numbers.get_group_symbol(locale), numbers.get_decimal_symbol(locale)
    digits = f"1{group}234{group}567{decimal}89"
    shapes = []
    for value in (_PROBE, -_PROBE):
        text = numbers.format_currency(value, currency, locale=locale)
        if text.count(digits) != 1:
            return None
        before, after = text.split(digits)
        shapes.append((before, after))
    if any(ch.isdigit() for part in shapes for ch in part[0] + part[1]):
        return None
    return shapes[0][0], shapes[0][1], shapes[1][0], shapes[1][1], group, decimal


def format_money(fen: int, currency: str = "CNY") -> str:
    """An amount in fen as the request's language writes yuan (¥1,234.50)."""
    locale = _locale()
    shape = _money_shape(str(locale), currency)
    if shape is None or not isinstance(fen, int):
        return numbers.format_currency(Decimal(fen) / 100, currency, locale=locale)
    prefix, suffix, minus_prefix, minus_suffix, group, decimal = shape
    whole, cents = divmod(abs(fen), 100)
    text = f"{whole:,}".replace(",", group) + f"{decimal}{cents:02d}"
    return f"{minus_prefix}{text}{minus_suffix}" if fen < 0 else f"{prefix}{text}{suffix}"


# Dates ----------------------------------------------------------------------------------

_NUMERIC = {"y", "yy", "yyyy", "M", "MM", "d", "dd", "H", "HH", "h", "hh", "m", "mm", "s", "ss"}
_NAMED = {"MMM", "MMMM", "E", "EE", "EEE", "EEEE", "a", "z", "zzzz"}
_MARK = "\x00"


class _Fields(dict):  # type: ignore[type-arg]
    """Fills Babel's compiled pattern (a %-format over field names) with markers."""

    def __missing__(self, field: str) -> str:
        return f"{_MARK}{field}{_MARK}"


def _pieces(pattern: str) -> list[tuple[str, str]]:
    """A Babel pattern as (literal, "") and ("", field) pieces."""
    marked = dates.parse_pattern(pattern).format % _Fields()
    return [("", part) if index % 2 else (part, "")
            for index, part in enumerate(marked.split(_MARK)) if part]


@functools.lru_cache(maxsize=64)
def _compiled(locale_id: str, kind: str, format: str) -> tuple[tuple[str, str], ...] | None:
    """Babel's pattern of a named ``format`` for ``kind`` ("datetime" or
    "date") in this locale, glued as Babel glues it; None when a field is
    one this module does not format (Babel then formats)."""
    locale = Locale.parse(locale_id)
    date_pieces = _pieces(dates.get_date_format(format, locale=locale).pattern)
    if kind == "date":
        pieces = date_pieces
    else:
        time_pieces = _pieces(dates.get_time_format(format, locale=locale).pattern)
        glue = str(dates.get_datetime_format(format, locale=locale)).replace("'", "")
        pieces = []
        for part in re.split(r"(\{[01]\})", glue):
            if part == "{0}":
                pieces.extend(time_pieces)
            elif part == "{1}":
                pieces.extend(date_pieces)
            elif part:
                pieces.append((part, ""))
    if any(field and field not in _NUMERIC and field not in _NAMED for _literal, field in pieces):
        return None
    return tuple(pieces)


_NAMES: dict[tuple[str, str, Any], str] = {}


def _named(locale_id: str, field: str, moment: Any) -> str:
    """Month and weekday names, am/pm and zone names: Babel's text, kept by
    what decides it."""
    letter = field[0]
    if letter == "M":
        key: Any = moment.month
    elif letter == "E":
        key = moment.weekday()
    elif letter == "a":
        key = moment.hour < 12
    else:  # a zone's name depends on the zone and on summer time
        key = (str(moment.tzinfo), moment.utcoffset(), moment.dst())
    text = _NAMES.get((locale_id, field, key))
    if text is None:
        text = dates.DateTimeFormat(moment, Locale.parse(locale_id))[field]
        if len(_NAMES) < 4096:
            _NAMES[(locale_id, field, key)] = text
    return text


def _render(pieces: tuple[tuple[str, str], ...], moment: Any, locale_id: str) -> str:
    out: list[str] = []
    for literal, field in pieces:
        if not field:
            out.append(literal)
        elif field in _NAMED:
            out.append(_named(locale_id, field, moment))
        else:
            letter, width = field[0], len(field)
            if letter == "y":
                out.append(f"{moment.year:02d}"[-2:] if width == 2 else f"{moment.year:0{width}d}")
                continue
            number = {"M": moment.month, "d": moment.day}.get(letter)
            if number is None:
                number = {"H": moment.hour, "h": moment.hour % 12 or 12, "m": moment.minute,
                          "s": moment.second}[letter]
            out.append(f"{number:0{width}d}")
    return "".join(out)


def format_datetime(value: datetime, format: str = "medium") -> str:
    """Flask-Babel's ``format_datetime``: in the request's time zone and language."""
    locale_id = str(_locale())
    pieces = _compiled(locale_id, "datetime", format) if format in ("short", "medium", "long", "full") else None
    if pieces is None:
        return flask_babel.format_datetime(value, format)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dates.UTC)
    return _render(pieces, value.astimezone(_timezone()), locale_id)


def format_date(value: date | datetime, format: str = "long") -> str:
    """Flask-Babel's ``format_date`` (a datetime is shown as its day in the
    request's time zone)."""
    locale_id = str(_locale())
    pieces = _compiled(locale_id, "date", format) if format in ("short", "medium", "long", "full") else None
    if pieces is None:
        return flask_babel.format_date(value, format)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dates.UTC)
        value = value.astimezone(_timezone())
    return _render(pieces, value, locale_id)


# The one way people read a moment or a day ------------------------------------------------
# Chinese readers write 2026年12月23日 08:51: no seconds, no zone inside the
# date. English: 23 Dec 2026, 08:51. The zone, where it matters (a deadline),
# is said once after the moment: 北京时间 / Beijing time.

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BEIJING = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Chungking", "PRC"}


def _is_chinese() -> bool:
    return _locale().language == "zh"


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dates.UTC)
        return value.astimezone(_timezone())
    return value


def format_day(value: date | datetime) -> str:
    """A day: 2026年12月23日 / 23 Dec 2026 (a moment as its day in the time zone in force)."""
    day = _local(value)
    if _is_chinese():
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def zone_name(moment: datetime | None = None) -> str:
    """The time zone in force as people name it: 北京时间 / Beijing time, else UTC±hh:mm."""
    zone = _timezone()
    if str(zone) in _BEIJING:
        return gettext("Beijing time")
    if str(zone) in {"UTC", "Etc/UTC"}:
        return "UTC"
    offset = (moment or datetime.now(dates.UTC)).astimezone(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def format_moment(value: datetime, with_zone: bool = False) -> str:
    """A moment in the time zone in force: 2026年12月23日 08:51 / 23 Dec 2026, 08:51;
    ``with_zone`` adds the zone once, after it: 2026年12月23日 08:51（北京时间）."""
    moment = _local(value)
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    chinese = _is_chinese()
    text = f"{format_day(moment)} {clock}" if chinese else f"{format_day(moment)}, {clock}"
    if with_zone:
        zone = zone_name(value if isinstance(value, datetime) else None)
        text = f"{text}（{zone}）" if chinese else f"{text} ({zone})"
    return text


# gettext for Python code -------------------------------------------------------------------
# Flask-Babel's, through the catalogue kept for the request.

def gettext(string: str, **variables: Any) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    return LazyString(gettext, string, **variables)


def lazy_ngettext(singular: str, plural: str, num: int, **variables: Any) -> LazyString:
    return LazyString(ngettext, singular, plural, num, **variables)
