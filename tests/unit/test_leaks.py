"""The blind-review guard: finding what in a proposal reveals its group."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from venture.groups import creditcode
from venture.proposals.leaks import KINDS, Finding, Identity, find_leaks, name_cores

CREDIT_CODE = creditcode.complete("52440106MJL000017")

SUNSHINE = Identity(
    group_names=("阳光社会工作服务中心", "Sunshine Social Work Centre"),
    member_names=("李慧敏", "Wang Fang", "Li"),
    emails=("contact@sunshine.org.cn",),
    phones=("020-38880001", "12345"),
    credit_codes=(CREDIT_CODE,),
)


def kinds(text: str, identity: Identity = SUNSHINE) -> list[str]:
    return [finding.kind for finding in find_leaks({"section:need": text}, identity)]


# ---------------------------------------------------------------------------
# Group names and their cores
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "cores"), [
    ("阳光社会工作服务中心", {"阳光社工", "阳光"}),
    ("深圳市南山区阳光社会工作服务中心", {"阳光社会工作服务中心", "阳光社工", "阳光"}),
    ("彩虹长者互助队", {"彩虹长者"}),
    ("明德公益促进会", {"明德公益"}),
    ("Sunshine Social Work Centre", {"Sunshine Social Work", "Sunshine"}),
    ("The Bright Futures Foundation", {"Bright Futures"}),
])
def test_name_cores(name: str, cores: set[str]) -> None:
    assert cores <= set(name_cores(name))


@pytest.mark.parametrize("name", ["长者服务中心", "社区服务中心", "Team", "Care Team", "Joy Team", "爱心队", "中心"])
def test_generic_or_short_names_have_no_core(name: str) -> None:
    assert name_cores(name) == ()


@pytest.mark.parametrize("text", [
    "本项目由阳光社会工作服务中心实施。",
    "我们阳光社工有十年经验。",
    "阳光的孩子们",  # a core is reported even in ordinary words: the applicant decides
    "阳 光 社 工",  # spaced out, as text pulled from a PDF often is
    "the SUNSHINE social work centre team",
    "Sunshine volunteers visited",
])
def test_group_names_and_cores_are_found(text: str) -> None:
    assert "group_name" in kinds(text)


def test_full_name_is_reported_once_not_also_as_its_core() -> None:
    findings = find_leaks({"title": "阳光社会工作服务中心"}, SUNSHINE)
    assert findings == [Finding("title", "group_name", "阳光社会工作服务中心")]


@pytest.mark.parametrize("text", [
    "Sunshiny days", "unsunshine", "社区服务中心", "Team", "服务中心开展活动", "项目团队共5人",
])
def test_ordinary_words_are_not_group_names(text: str) -> None:
    assert "group_name" not in kinds(text)


def test_team_alone_is_not_flagged_for_a_team() -> None:
    identity = Identity(group_names=("Joy Team", "快乐志愿队"), member_names=())
    assert find_leaks({"title": "Our Team will help. 志愿队 服务"}, identity) == []
    assert kinds("The Joy Team will help.", identity) == ["group_name"]


def test_full_width_latin_is_read_as_latin() -> None:
    assert "group_name" in kinds("ＳＵＮＳＨＩＮＥ ｃｅｎｔｒｅ")


# ---------------------------------------------------------------------------
# Members, e-mails, phones, credit codes
# ---------------------------------------------------------------------------

def test_member_names_are_found() -> None:
    assert kinds("项目负责人李慧敏") == ["member_name"]
    assert kinds("led by wang  fang since 2020") == ["member_name"]


def test_latin_member_names_are_whole_words_and_short_names_are_ignored() -> None:
    assert kinds("Wang Fangzhou") == []
    assert kinds("Li Lei and Lisa") == [], "'Li' is too short to search for"


@pytest.mark.parametrize("text", [
    "联系 contact@sunshine.org.cn",
    "或者 someone.else+tag@qq.com 也行",
    "邮箱：ＬＩ＠ＱＱ．ＣＯＭ",
])
def test_any_email_is_found(text: str) -> None:
    assert kinds(text, Identity(group_names=(), member_names=())) == ["email"]


def test_an_email_with_the_groups_name_is_both() -> None:
    assert sorted(kinds("联系 contact@sunshine.org.cn")) == ["email", "group_name"]


@pytest.mark.parametrize("text", [
    "电话13900139004",
    "电话 139-0013-9004。",
    "电话 139 0013 9004",
    "手机+86 139 0013 9004",
    "手机+8613900139004",
    "手机 0086-139-0013-9004",
    "座机020-38880001",
    "座机(020)38880001",
    "座机（020）3888 0001",
    "座机0755-1234567",
    "座机 0755 8888 1234",
    "Tel +86 20 3888 0001",
    "Tel +86-755-12345678",
    "热线 400-123-4567",
])
def test_phone_numbers_in_several_formats(text: str) -> None:
    assert kinds(text, Identity(group_names=(), member_names=())) == ["phone"]


def test_the_groups_own_short_number_is_found_once() -> None:
    assert kinds("分机 12345 转") == ["phone"]
    assert kinds("座机020-38880001") == ["phone"], "found by two patterns, reported once"


@pytest.mark.parametrize("text", [
    "2026年 100人",
    "预算 150000.00 元，共 12 场，每场 30 人",
    "编号 13900139004139001390",  # a 20-digit number is not a phone
    "订单 213900139004",
    "2026-03-15 至 2026-12-31",
    "身份证号不需要填写，人数 1390 人",
    "合计 2,000 + 3,500 + 12,000 = 17,500 元",
    "第 1 期 100 200 300 150 800 900",
])
def test_ordinary_numbers_are_not_phones(text: str) -> None:
    assert kinds(text, Identity(group_names=(), member_names=())) == []


@pytest.mark.parametrize("text", [
    f"统一社会信用代码：{CREDIT_CODE}",
    f"代码 {CREDIT_CODE.lower()}",
    f"代码 {CREDIT_CODE[:6]} {CREDIT_CODE[6:]}",
])
def test_the_groups_credit_code_is_found(text: str) -> None:
    assert kinds(text) == ["credit_code"]


def test_another_credit_code_is_not_the_groups() -> None:
    assert kinds(f"合作方 {creditcode.complete('91110000600037341')}") == []


# ---------------------------------------------------------------------------
# Places, excerpts, robustness
# ---------------------------------------------------------------------------

def test_findings_are_per_place_with_an_excerpt_around_the_hit() -> None:
    texts = {
        "title": "社区长者关爱计划",
        "section:need": "本社区有 1200 名独居老人。" * 3 + "由阳光社工负责，电话 139 0013 9004。" + "后续内容" * 20,
        "attachment:7:name": "阳光社工-申报书.pdf",
        "attachment:7:metadata": "author: 李慧敏",
    }
    findings = find_leaks(texts, SUNSHINE)
    assert [(f.place, f.kind) for f in findings] == [
        ("section:need", "group_name"),
        ("section:need", "phone"),
        ("attachment:7:name", "group_name"),
        ("attachment:7:metadata", "member_name"),
    ]
    excerpt = findings[0].excerpt
    assert "阳光社工" in excerpt
    assert excerpt.startswith("…") and excerpt.endswith("…")
    assert 20 <= len(excerpt) <= 4 + 2 * 20 + len("阳光社工")
    assert "139 0013 9004" in findings[1].excerpt
    assert all(f.kind in KINDS for f in findings)


def test_identical_findings_are_reported_once() -> None:
    findings = find_leaks({"title": "阳光社工 阳光社工"}, SUNSHINE)
    assert len(findings) == 1
    assert len(find_leaks({"a": "阳光社工", "b": "阳光社工"}, SUNSHINE)) == 2


def test_excerpt_has_no_line_breaks() -> None:
    [finding] = find_leaks({"x": "第一行\n\n李慧敏\n第三行"}, SUNSHINE)
    assert "\n" not in finding.excerpt and "李慧敏" in finding.excerpt


def test_odd_input_never_raises() -> None:
    odd = Identity(group_names=("", "  ", "(", "中心", "[a-z]+"), member_names=("*", "李"), emails=("",),
                   phones=("abc",), credit_codes=("", "??"))
    assert find_leaks({"a": None, "b": 42, "c": "", "d": "abc ((( ? 李"}, odd) == []  # type: ignore[dict-item]
    assert find_leaks({}, SUNSHINE) == []
    careless = Identity(group_names="阳光社工", member_names=["李慧敏"], phones=[13900139004])  # type: ignore[arg-type]
    assert [f.kind for f in find_leaks({"x": "阳光社工 李慧敏 阳光"}, careless)] == ["group_name", "member_name"]
    assert find_leaks(None, SUNSHINE) == []  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=500), names=st.lists(st.text(max_size=12), max_size=3))
def test_random_text_and_names_never_raise(text: str, names: list[str]) -> None:
    identity = Identity(group_names=tuple(names), member_names=tuple(names), phones=tuple(names),
                        credit_codes=tuple(names))
    for finding in find_leaks({"x": text}, identity):
        assert finding.kind in KINDS and finding.place == "x"


def test_a_100_kb_text_is_checked_whole() -> None:
    """A hit in the middle of a long attachment text is found. How long it
    takes is measured by bench/redact_bench.py, not asserted here (a shared
    machine would make such an assert fail at random)."""
    chunk = ("本项目面向社区独居长者，2026年计划服务 100人，开展 12 场活动，预算 150000.00 元。"
             "The team will visit residents weekly. ")
    text = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    text = text[:50_000] + "联系阳光社工 13900139004" + text[50_000:]
    findings = find_leaks({"attachment:1:text": text}, SUNSHINE)
    assert {f.kind for f in findings} == {"group_name", "phone"}
    assert len(findings) == 2


# ---------------------------------------------------------------------------
# The quick check before a group's patterns are compiled
# ---------------------------------------------------------------------------

_PIECES = ["阳光", "社会工作", "服务中心", "阳 光", "阳\u3000光", "ＳＵＮＳＨＩＮＥ", "sunshine", "SUN SHINE", "Social  Work",
           "李慧敏", "李 慧 敏", "wang fang", "WANG\nFANG", "020-3888 0001", "02038880001", "１２３４５", "12 345",
           CREDIT_CODE.lower(), " ".join(CREDIT_CODE), "İ", "ı", "ſ", "ς", "Σ", "K", "ß", "a@b.cn", " ", "-", "。", "x"]
_TRICKY = Identity(group_names=("Kılıç İstanbul Σίσυφος Strasse",), member_names=("ſusan ſmith",),
                   emails=(), phones=("13900139004",), credit_codes=())


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES + ["kılıç", "KILIÇ", "istanbul", "ISTANBUL", "σίσυφοσ", "ΣΊΣΥΦΟΣ",
                                           "STRASSE", "strasse", "susan smith", "SUSAN SMITH", "139 0013 9004"]),
                max_size=12),
       st.sampled_from([SUNSHINE, _TRICKY]))
def test_the_quick_check_never_spares_a_text_that_names_the_group(pieces, identity):
    from venture.proposals.leaks import redact

    text = "".join(pieces)
    assert redact(text, identity) == redact(text, identity, full=True)


def test_a_title_of_another_group_keeps_its_text_without_compiling_this_groups_patterns():
    from venture.proposals import leaks

    leaks._patterns.cache_clear()
    assert leaks.redact("社区长者助餐计划", SUNSHINE) == "社区长者助餐计划"
    assert leaks._patterns.cache_info().misses == 0
    assert leaks.redact("阳光社工的长者助餐", SUNSHINE) == "■■■的长者助餐"
    assert leaks._patterns.cache_info().misses == 1
    assert leaks.redact("电话 139-0013-9004 联系", SUNSHINE) == "电话 ■■■ 联系"  # any phone number, always
