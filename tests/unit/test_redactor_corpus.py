"""The redactor against someone trying to slip a name past it.

Each case plants one identity term in a text the way an applicant who wants
to be recognised (or a careless one) might: split by invisible characters,
Markdown or HTML, in full-width or traditional characters, with letters of
another script that look Latin, by a short form of the name, by a member's
surname and title, or as a phone number, e-mail address, ID-card number or
messaging account spelled out. After redaction a reader must not find the
term: not as written, and not once the text is read as a reader reads it
(variants folded, invisible characters, punctuation, tags and spaces set
aside). Ordinary text keeps its words.
"""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from venture.groups import creditcode
from venture.proposals import face, leaks
from venture.proposals.leaks import REDACTED, Identity, contact_only, redact, redact_html

CODE = creditcode.complete("52440106MJL765432")
GROUP = "晨光长者关爱服务中心"
IDENTITY = face._identity(
    GROUP, ["晨曦互助社"], ["Morning Light Elderly Care Centre"], "本中心原名“朝阳编织队”，英文简称 MLEC Team。",
    "欧阳晓红", "chenguang@example.org", "13912345678", CODE,
    [("欧阳晓红", "ouyang@example.org"), ("司马明珠", "sima@example.org"), ("Susan Smith", "susan@example.org"),
     ("李慧敏", None)])


def reader_sees(text: str) -> str:
    spaced = leaks._spaced(leaks.reading_form(unicodedata.normalize("NFC", text)))
    return spaced.replace(" ", "").lower()


def assert_gone(text: str, secret: str, identity: Identity = IDENTITY) -> str:
    out = redact(text, identity)
    assert secret not in out, (text, out)
    assert reader_sees(secret) not in reader_sees(out), (text, out)
    assert REDACTED in out
    return out


# Invisible characters, widths, variants, look-alikes -----------------------------------------------

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u180e", "\u200e", "\u202e", "\u2066",
             "\ufe0f", "\u034f", "\U000e0041", "\u3164", "\u2800", "\x0b", "\x1b"]


@pytest.mark.parametrize("mark", INVISIBLE, ids=[f"U+{ord(mark):04X}" for mark in INVISIBLE])
def test_invisible_characters_do_not_split_a_name(mark: str) -> None:
    assert_gone(f"本项目由晨{mark}光团队实施", "晨光")
    assert_gone(f"由欧{mark}阳{mark}晓{mark}红负责", "欧阳晓红")
    assert_gone(f"the Mor{mark}ning Li{mark}ght team", "Morning Light")
    assert_gone(f"电话 139{mark}1234{mark}5678", "13912345678")


@pytest.mark.parametrize(("text", "secret"), [
    ("ＭＯＲＮＩＮＧ　ＬＩＧＨＴ 团队", "Morning Light"),
    ("电话１３９１２３４５６７８", "13912345678"),
    ("邮箱ｃｈｅｎｇｕａｎｇ＠ｅｘａｍｐｌｅ．ｏｒｇ", "chenguang@example.org"),
    ("晨光長者關愛服務中心", GROUP),
    ("歐陽曉紅負責", "欧阳晓红"),
    ("晨曦互助社舉辦", "晨曦"),
    ("⽇常由晨光负责", "晨光"),  # a Kangxi radical nearby does not hide the name
    ("Mоrning Lіght (Cyrillic о and і)", "Morning Light"),
    ("Μorning Light (Greek capital Mu)", "Morning Light"),
    ("𝐌𝐨𝐫𝐧𝐢𝐧𝐠 𝐋𝐢𝐠𝐡𝐭", "Morning Light"),
    ("Ⓜⓞⓡⓝⓘⓝⓖ Ⓛⓘⓖⓗⓣ", "Morning Light"),
    ("M̶o̶r̶n̶i̶n̶g̶ L̶i̶g̶h̶t̶", "Morning Light"),
    ("Mórníng Lìght", "Morning Light"),
    ("SUSAN SMITH", "Susan Smith"),
])
def test_widths_variants_and_look_alikes(text: str, secret: str) -> None:
    assert_gone(text, secret)


# Markdown, HTML and spacing that split a name -------------------------------------------------------

@pytest.mark.parametrize("text", [
    "**晨**光", "*晨*光", "_晨_光", "~~晨~~光", "`晨`光", "晨<b>光</b>", "<span>晨</span><em>光</em>", "晨&nbsp;光",
    "晨&#8203;光", "晨\n光", "晨\r\n\r\n光", "晨 光", "晨　光", "晨·光", "晨-光", "晨.光", "晨/光", "晨，光", "[晨]光",
    "晨\\光", "> 晨光", "# 晨光", "晨|光", "「晨」「光」", "晨 * 光",
])
def test_markup_and_punctuation_between_the_letters(text: str) -> None:
    assert_gone(f"我们{text}团队", "晨光")


@pytest.mark.parametrize("text", [
    "M o r n i n g   L i g h t", "Morning-Light", "morning_light", "MORNING.LIGHT", "Morning**Light**",
    "Morning<i>Light</i>", "Morning\nLight",
])
def test_spacing_in_latin_names(text: str) -> None:
    assert_gone(f"by {text} volunteers", "Morning Light")


@pytest.mark.parametrize(("text", "secret"), [
    ("我们是<晨光>团队", "晨光"), ("<Morning Light> volunteers", "Morning Light"), ("&Morning;&Light; team", "Morning Light"),
    ("电话 <13912345678>", "13912345678"), ("<晨 光 社>", "晨光"),
])
def test_what_looks_like_markup_in_plain_text_is_read_too(text: str, secret: str) -> None:
    """Plain text is shown as it is: <晨光> is read by everyone as 晨光."""
    assert_gone(text, secret)


# Short forms, former and other names, names in the description ---------------------------------------

@pytest.mark.parametrize(("name", "short"), [
    ("晨光长者关爱服务中心", "晨光"), ("幸福里邻里互助社", "幸福里"), ("彩虹志愿队", "彩虹"), ("明德服务队", "明德"),
    ("青松协会", "青松"), ("红棉社", "红棉"), ("春晖队", "春晖"), ("绿叶小组", "绿叶"), ("星火工作室", "星火"),
    ("深圳市南山区阳光社会工作服务中心", "阳光社工"), ("向日葵长者互助队", "向日葵"), ("东风读书会", "东风"),
    ("Bright Futures Foundation", "Bright Futures"), ("Morning Light Elderly Care Centre", "Morning Light"),
])
def test_short_forms_of_a_group_name(name: str, short: str) -> None:
    identity = Identity(group_names=(name,), member_names=())
    assert_gone(f"本项目由{short}负责，联系{short}的志愿者。", short, identity)


@pytest.mark.parametrize(("text", "secret"), [
    ("我们原来叫晨曦互助社", "晨曦互助社"), ("晨曦的老朋友", "晨曦"), ("朝阳编织队的阿姨们", "朝阳编织"),
    ("MLEC Team volunteers", "MLEC"), ("Morning Light helps", "Morning Light"),
    ("Chenguang Elderly Care", "Chenguang"), ("chen guang team", "chen guang"),
])
def test_former_other_described_and_pinyin_names(text: str, secret: str) -> None:
    assert_gone(text, secret)


# People ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "欧阳老师", "欧阳阿姨", "欧阳女士", "欧阳姐", "晓红姐", "Ms Ouyang", "Ms. Ouyang", "MRS OUYANG", "Dr. Ouyang",
    "Ouyang Xiaohong", "Xiaohong Ouyang", "OUYANG Xiao-hong", "司马先生", "司马姐", "Sima Mingzhu", "明珠姐",
    "李老师", "李阿姨", "李先生", "李女士", "李姐", "李哥", "慧敏姐", "Ms Li", "Mr. Li", "Li Huimin", "Huimin Li",
    "Ms Smith", "Mrs. Smith", "Dr Susan Smith", "Mr Susan",
])
def test_members_by_surname_title_and_pinyin(text: str) -> None:
    assert_gone(f"项目由{text}负责。", text.replace(".", ""))


def test_after_the_notice_the_contact_person_stays_hidden_but_the_group_does_not() -> None:
    contact = contact_only(IDENTITY)
    out = redact(f"{GROUP}的欧阳老师（Ms Ouyang）和司马明珠，电话 13912345678", contact)
    assert GROUP in out and "司马明珠" in out
    assert "欧阳" not in out and "Ouyang" not in out and "13912345678" not in out


# Contact data ---------------------------------------------------------------------------------------

NOBODY = Identity(group_names=(), member_names=())


@pytest.mark.parametrize(("text", "secret"), [
    ("电话 1 3 9 1 2 3 4 5 6 7 8", "13912345678"), ("电话 139.1234.5678", "13912345678"),
    ("电话 139 - 1234 - 5678", "13912345678"), ("电话 (139)1234-5678", "13912345678"),
    ("电话 幺三九一二三四五六七八", "13912345678"), ("电话 壹叁玖壹贰叁肆伍陆柒捌", "13912345678"),
    ("+86 139 1234 5678", "13912345678"), ("0086-13912345678", "13912345678"),
    ("座机 0 2 0 - 3 8 8 8 0 0 0 1", "02038880001"), ("热线 400 123 4567", "4001234567"),
    ("两个号码 13912345678 13800138000", "13800138000"),
    ("邮箱 someone@qq.com", "someone@qq.com"), ("邮箱 someone(at)qq(dot)com", "someone"),
    ("邮箱 someone [at] qq [dot] com", "someone"), ("邮箱 someone#qq.com", "someone"),
    ("write to someone at 163 dot com", "someone"), ("邮箱 someone艾特qq点com", "someone"),
    ("身份证 44010619900101123X", "44010619900101123X"), ("身份证 44010619900101123x", "44010619900101123"),
    ("身份证 440106 19900101 123X", "44010619900101123"), ("身份证 440106-1990-0101-123X", "44010619900101123"),
    ("身份证 ４４０１０６１９９００１０１１２３Ｘ", "44010619900101123"),
    ("微信：sunshine2020", "sunshine2020"), ("WeChat ID: sunshine_2020", "sunshine_2020"),
    ("QQ 12345678", "12345678"), ("vx: ab12345", "ab12345"), ("QQ群号 987654321", "987654321"),
])
def test_contact_data_of_anyone_in_any_spelling(text: str, secret: str) -> None:
    assert_gone(text, secret, NOBODY)


@pytest.mark.parametrize("text", [
    f"统一社会信用代码 {CODE}", f"代码 {' '.join(CODE)}", f"代码 {CODE.lower()}", f"代码 {CODE[:6]}-{CODE[6:]}",
])
def test_the_groups_credit_code(text: str) -> None:
    assert_gone(text, CODE)


# HTML (comments) ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("markup", "secret"), [
    ("<p>&#26216;&#20809;团队</p>", "晨光"),
    ("<p>&#x6668;&#x5149;团队</p>", "晨光"),
    ("<p>晨<strong>光</strong>团队</p>", "晨光"),
    ('<p><a href="mailto:&#99;&#104;&#101;&#110;guang@example.org">写信</a></p>', "chenguang"),
    ('<p><a href="https://example.org/" title="晨光">链接</a></p>', "晨光"),
    ("<p>电话 139&nbsp;1234&nbsp;5678</p>", "13912345678"),
])
def test_comment_markup(markup: str, secret: str) -> None:
    out = redact_html(markup, IDENTITY)
    assert secret not in out and reader_sees(secret) not in reader_sees(leaks.html.unescape(out))
    assert out.count("<p>") == out.count("</p>"), "the markup stays balanced"


# What must not be taken away ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "社区长者助餐计划", "服务中心开展活动", "为社区儿童开设阅读角。", "2026年 100人，预算 150000.00 元，共 12 场",
    "2026-03-15 至 2026-12-31", "第 1 期 100 200 300 150 800 900", "The team will visit residents weekly.",
    "合计 2,000 + 3,500 + 12,000 = 17,500 元", "每周二、四下午 3 点", "C# 培训 3 次", "Meet at the hall at 3 pm.",
])
def test_ordinary_text_keeps_its_words(text: str) -> None:
    assert redact(text, IDENTITY) == text


# Any noise, any surroundings ------------------------------------------------------------------------------

NOISE = st.lists(st.sampled_from(INVISIBLE[:12] + [" ", "*", "_", "~", "`", "<b>", "</b>", "&nbsp;", "\n", "·", "-",
                                                   "\u3000", "."]), max_size=4).map("".join)
AROUND = st.text(alphabet="本项目社区居民活动每周的和为开展长者儿童服务，。 0123456789abc", max_size=30)


@settings(max_examples=300, deadline=None)
@given(secret=st.sampled_from(["晨光", "晨曦", "欧阳晓红", "司马明珠", "朝阳编织", "13912345678", "Morning Light",
                               "欧阳老师", "Ms Ouyang"]),
       noise=st.lists(NOISE, min_size=12, max_size=12), before=AROUND, after=AROUND)
def test_any_noise_between_the_letters_is_seen_through(secret: str, noise: list[str], before: str,
                                                       after: str) -> None:
    planted = "".join(char + noise[index % len(noise)] for index, char in enumerate(secret))
    out = redact(f"{before} {planted} {after}", IDENTITY)
    assert reader_sees(secret) not in reader_sees(out)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_redacting_random_text_never_raises_and_never_lengthens_without_reason(text: str) -> None:
    out = redact(text, IDENTITY)
    assert isinstance(out, str)
    if REDACTED not in out:
        assert out == text
