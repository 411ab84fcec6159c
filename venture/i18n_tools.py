"""Catalogue upkeep: ``python -m venture.i18n_tools fill-english|check``.

English is the source language, so the English catalogue's translations are
its message ids; ``fill-english`` writes them in. ``check`` lists every
message that either catalogue leaves untranslated (the test suite runs it).
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "venture" / "translations"
LOCALES = ("zh_Hans_CN", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}
METHOD_MAP = [("venture/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]


def catalogue_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    with catalogue_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def source_messages() -> set[str]:
    """Every translatable string in the code and templates, as extracted now."""
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=METHOD_MAP, keywords=KEYWORDS,
            options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}}):
        found.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in found if m}


def untranslated(locale: str, wanted: set[str]) -> list[str]:
    catalog = load(locale)
    missing = []
    for msgid in sorted(wanted):
        entry = catalog.get(msgid)
        if entry is None or entry.fuzzy:
            missing.append(msgid)
            continue
        strings = entry.string if isinstance(entry.string, (list, tuple)) else [entry.string]
        if not all(strings):
            missing.append(msgid)
    return missing


def fill_english() -> int:
    catalog = load("en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            message.string = tuple(message.id)
        else:
            message.string = message.id
        message.flags.discard("fuzzy")
    with catalogue_path("en").open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=True)
    return 0


def check() -> int:
    wanted = source_messages()
    status = 0
    for locale in LOCALES:
        missing = untranslated(locale, wanted)
        for msgid in missing:
            print(f"{locale}: untranslated: {msgid!r}")
        status |= bool(missing)
    return status


if __name__ == "__main__":
    commands = {"fill-english": fill_english, "check": check}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit("usage: python -m venture.i18n_tools fill-english|check")
    sys.exit(commands[sys.argv[1]]())
