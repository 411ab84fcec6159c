"""One cleaning for single-line fields and one for prose (venture/core/text.py)."""
from __future__ import annotations

import pytest

from venture.core.forms import one_line as one_line_filter
from venture.core.text import LINE_BREAKS, one_line, prose

BREAKS = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\t"]


@pytest.mark.parametrize("brk", BREAKS)
def test_a_line_holds_no_line_break_of_any_kind(brk):
    cleaned = one_line(f"  幸福里{brk}互助队 {brk}{brk} 志愿者  ")
    assert cleaned == "幸福里 互助队 志愿者"
    assert cleaned.splitlines() == [cleaned]  # what the e-mail package splits headers on


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\u202e", "\u2066", "\ufeff"])
def test_control_and_reordering_characters_are_dropped(char):
    assert one_line(f"阳光{char}社工") == "阳光社工"
    assert prose(f"阳光{char}社工") == "阳光社工"


def test_prose_keeps_its_lines_as_plain_newlines_and_its_tabs():
    assert prose("一\r\n二\r三\u2028四\u2029五\x85六\t七") == "一\n二\n三\n四\n五\n六\t七"
    assert prose(None) == "" and one_line(None) == ""


def test_every_line_break_python_knows_is_covered():
    for code in range(0x110000):
        char = chr(code)
        if len(("a" + char + "b").splitlines()) > 1:
            assert char in LINE_BREAKS, hex(code)


def test_the_form_filter_leaves_other_values_alone():
    assert one_line_filter(None) is None
    assert one_line_filter("名称\u2028") == "名称"
