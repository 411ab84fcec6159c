"""Cleaning what people type, in one place.

Two kinds of text. A *line* is a name, a title, a phone number: it ends up in
page titles, e-mail subjects, file names and CSV cells, where a line break is
at best a mess and at worst a header injection. *Prose* is the text of a
comment, a section, a reason: it keeps its lines.

More characters end a line than CR and LF: Python's ``str.splitlines`` (and
so the ``email`` package, which refuses a header holding one) also breaks on
VT, FF, the file/group/record separators, NEL (U+0085) and the Unicode line
and paragraph separators (U+2028, U+2029).
"""
from __future__ import annotations

import re

LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# Other control characters (C0 but tab and the breaks, DEL, C1 but NEL), the
# bidirectional embeddings, overrides and isolates that reorder what is shown
# ("Trojan Source"), and the byte-order mark. Nobody means to type them;
# PostgreSQL refuses NUL in text.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_BREAKS_IN_LINE = re.compile(f"\\s*[{LINE_BREAKS}\t]+\\s*")
_BREAK = re.compile(f"\r\n|[{LINE_BREAKS}]")


def one_line(value: str | None) -> str:
    """Text for a single-line field: invisible characters dropped, every line
    break or tab (with the spaces around it) made one space, trimmed."""
    text = _INVISIBLE.sub("", value or "")
    return _BREAKS_IN_LINE.sub(" ", text).strip()


def prose(value: str | None) -> str:
    """Text of several lines: invisible characters dropped, every kind of
    line break made a plain ``\\n``; tabs stay."""
    return _BREAK.sub("\n", _INVISIBLE.sub("", value or ""))


# Which script a text is written in, so a screen reader can switch voice.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_LATIN_WORD = re.compile("[A-Za-z\u00c0-\u024f]+")


def written_language(value: str | None) -> str | None:
    """"zh-CN" for text written mostly in Chinese characters, "en" for text
    mostly in Latin letters, None when it cannot tell (digits, signs, nothing).
    Each Chinese character weighs as much as a Latin word, so a Chinese title
    with a Latin word or two (“社区 AI 课堂”) stays Chinese, and an English one
    naming a place (“Meals for elders in 南山”) stays English."""
    text = value or ""
    han = len(_HAN.findall(text))
    latin_words = len(_LATIN_WORD.findall(text))
    if not han and not latin_words:
        return None
    return "zh-CN" if han >= latin_words else "en"
