"""Names sort in pinyin order, as readers of a Chinese list expect."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from venture.core.collation import name_sort_key


def test_chinese_names_sort_by_pinyin_not_by_code_point():
    names = ["张伟", "李慧敏", "阳光长者服务社", "彩虹亲子乐园", "晨曦社区书屋", "幸福里邻里互助队"]
    assert sorted(names, key=name_sort_key) == [
        "彩虹亲子乐园", "晨曦社区书屋", "李慧敏", "幸福里邻里互助队", "阳光长者服务社", "张伟"]
    assert sorted(names) != sorted(names, key=name_sort_key)


def test_syllables_sort_as_in_a_dictionary_then_by_tone():
    # li < lian < lin (the tone number comes after the syllable), lu < lü, then tones 1–4.
    assert sorted(["林", "连", "李", "吕", "卢"], key=name_sort_key) == ["李", "连", "林", "卢", "吕"]
    assert sorted(["丽", "李", "离"], key=name_sort_key) == ["离", "李", "丽"]


def test_a_polyphonic_character_is_read_from_its_word():
    assert sorted(["重庆队", "张三"], key=name_sort_key) == ["重庆队", "张三"], "重庆 is chong qing"


def test_latin_names_ignore_case_and_full_width_forms_are_the_same_letters():
    assert sorted(["beta", "Alpha", "ＡＢＣ小组"], key=name_sort_key) == ["ＡＢＣ小组", "Alpha", "beta"]
    assert name_sort_key("ＡＢＣ")[0] == name_sort_key("abc")[0]


@given(st.lists(st.text(max_size=12) | st.sampled_from(["Ａ", "A", "a", " A", "李", "理"]), max_size=8))
def test_the_order_is_total_and_stable(names):
    once = sorted(names, key=name_sort_key)
    assert sorted(reversed(once), key=name_sort_key) == once
    assert name_sort_key(None) == name_sort_key("")
