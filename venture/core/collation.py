"""The order people expect lists of names in: Chinese by pinyin, then tone.

Sorting by code point puts 张 before 李 and 阳光 after 幸福; a reader of a
list of groups or members looks for them as in a dictionary (a, b, c … by
pinyin). :func:`name_sort_key` reads each Chinese character's pinyin with
its tone number (pypinyin, which picks a polyphonic character's reading
from the words around it) and compares Latin letters and digits without
regard to case. Equal keys fall back to the name itself, so the order is
total and stable.
"""
from __future__ import annotations

import unicodedata

from pypinyin import Style, lazy_pinyin

__all__ = ["name_sort_key"]


def name_sort_key(name: str | None) -> tuple[tuple[str, ...], str, str]:
    """A key that sorts names in pinyin order: ``sorted(groups, key=lambda g: name_sort_key(g.name))``."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    # TONE3 writes the tone after the syllable ("li3"), so li3 < lian2 < lin2 as in a dictionary.
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors="default")
    return tuple(part.casefold() for part in syllables), text, name or ""
