"""The blind-review guard: does a proposal say who wrote it?

Reviewers score proposals without knowing the applicant group (匿名评审),
and the public reads them the same way until the public notice. Before a
proposal is submitted, :func:`find_leaks` looks through every piece of its
text (title, sections, budget lines, attachment names, text and metadata)
for the group's names and the short forms people use for them, its members'
and contact person's names (with the usual forms of address: 李老师, 王姐,
Ms Wang), its credit code and phone numbers, and any e-mail address, phone
number, ID-card number or messaging account, so that the applicant can be
warned. :func:`redact` and :func:`redact_html` replace the same hits by
``REDACTED`` in what others read.

Matching is done on a *reading form* of the text of the same length, so a
hit maps back to the original: full-width and compatibility forms become
their plain letters (NFKD, without accents), traditional characters become
simplified (OpenCC's character tables), letters that only look Latin
(Cyrillic а, Greek ο) become Latin (Unicode's confusables), invisible
characters (zero-width, soft hyphen, BOM, word joiner, variation selectors)
and combining marks become spaces, and Chinese numerals become digits.
Between two letters of a name a few spaces, punctuation marks, Markdown
markers, HTML tags or entities may stand (阳 光, **阳**光, 阳<b>光</b>, 阳\\n光).

Pure functions, no request, no database; nothing here raises.
"""
from __future__ import annotations

import functools
import html
import itertools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["KINDS", "REDACTED", "Finding", "Identity", "find_leaks", "name_cores", "names_in_description",
           "person_forms", "reading_form", "redact", "redact_html"]

log = logging.getLogger(__name__)

KINDS = frozenset({"group_name", "member_name", "phone", "email", "credit_code", "id_number", "handle"})

# Characters of context shown on each side of a hit in an excerpt, and the
# longest hit shown in full.
CONTEXT = 20
_HIT_MAX = 80


@dataclass(frozen=True)
class Identity:
    """What would identify an applicant group. ``contact_names`` are also in
    ``member_names`` when the whole identity is hidden; alone (see
    :func:`contact_only`) they are what stays hidden once the group is named."""

    group_names: tuple[str, ...]
    member_names: tuple[str, ...]
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    credit_codes: tuple[str, ...] = ()
    contact_names: tuple[str, ...] = ()


def contact_only(identity: Identity) -> Identity:
    """What is never public, in any phase: the contact person, the group's
    phone numbers and e-mail addresses (any phone number, e-mail address,
    ID-card number or messaging account is redacted anyway)."""
    identity = _normalised(identity)
    return Identity(group_names=(), member_names=identity.contact_names, emails=identity.emails,
                    phones=identity.phones, credit_codes=(), contact_names=identity.contact_names)


def union(*identities: Identity) -> Identity:
    """Every name, number and address of all of them, in order, once each."""

    def merged(field: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value for identity in identities
                                   for value in getattr(_normalised(identity), field) if value))

    return Identity(group_names=merged("group_names"), member_names=merged("member_names"),
                    emails=merged("emails"), phones=merged("phones"), credit_codes=merged("credit_codes"),
                    contact_names=merged("contact_names"))


@dataclass(frozen=True)
class Finding:
    """One place where a proposal may reveal its group."""

    place: str
    kind: str
    excerpt: str


# ---------------------------------------------------------------------------
# The reading form of a text
# ---------------------------------------------------------------------------

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")

# Chinese numerals, as a phone number may be written out (幺三九…).
_NUMERALS = {"〇": "0", "零": "0", "幺": "1", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
             "七": "7", "八": "8", "九": "9", "壹": "1", "贰": "2", "叁": "3", "肆": "4", "伍": "5",
             "陆": "6", "柒": "7", "捌": "8", "玖": "9"}
_FILLERS = frozenset({0x115F, 0x1160, 0x3164, 0xFFA0, 0x034F, 0x180B, 0x180C, 0x180D, 0x180E, 0x2800})
# Converters whose character tables fold a traditional or variant character
# to its simplified form; a character is only folded to a single character.
_OPENCC_CONFIGS = ("t2s", "tw2s", "hk2s")
_CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00), (0x20000, 0x2A6E0), (0x2F800, 0x2FA20))
_TABLE_RANGES = ((0x80, 0xD800), (0xE000, 0x10000), (0x1D400, 0x1D800), (0x1F100, 0x1F200),
                 (0x2F800, 0x2FA20), (0xE0000, 0xE0080), (0xE0100, 0xE01F0))


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x2E80 <= code < 0xA000 or 0xF900 <= code < 0xFB00 or 0x20000 <= code < 0x30000


def _simplified() -> dict[str, str]:
    """Traditional and variant characters and their simplified form, from
    OpenCC's tables (character by character, so a text keeps its length)."""
    try:
        import opencc
    except ImportError:  # pragma: no cover - a dependency; without it only variants are missed
        log.warning("opencc is not installed: traditional characters are not folded")
        return {}
    found: dict[str, str] = {}
    chars = [chr(code) for low, high in _CJK_RANGES for code in range(low, high)]
    for config in _OPENCC_CONFIGS:
        # One call for all: a line break between characters keeps them apart.
        converted = opencc.OpenCC(config).convert("\n".join(chars)).split("\n")
        if len(converted) != len(chars):  # pragma: no cover - never seen; then one by one
            converter = opencc.OpenCC(config)
            converted = [converter.convert(char) for char in chars]
        for char, out in zip(chars, converted, strict=True):
            if len(out) == 1 and out != char and char not in found:
                found[char] = out
    return found


def _lookalikes() -> dict[str, str]:
    """Letters and digits of other scripts that look like a Latin one, from
    Unicode's confusables (the confusable-homoglyphs package)."""
    try:
        from confusable_homoglyphs import confusables
    except ImportError:  # pragma: no cover
        log.warning("confusable-homoglyphs is not installed: look-alike letters are not folded")
        return {}
    found: dict[str, str] = {}
    for char, homoglyphs in confusables.confusables_data.items():
        if len(char) != 1 or char.isascii() or _is_cjk(char):
            continue
        for homoglyph in homoglyphs:
            latin = homoglyph.get("c", "")
            if len(latin) == 1 and latin.isascii() and latin.isalnum():
                found[char] = latin.lower()
                break
    return found


def _fold_table() -> dict[int, int]:
    """What re.IGNORECASE treats as one letter, folded to one character: the
    extra equivalences the regex engine itself uses (ſ and s, ς and σ, ı and i ...)."""
    try:
        from re import _casefix  # the engine's own table (Python 3.11+)
    except ImportError:  # pragma: no cover
        return {}
    return {code: min((code, *extras)) for code, extras in _casefix._EXTRA_CASES.items()}


_FOLD = _fold_table()
_TABLE_LOCK = threading.Lock()
_TABLE: dict[int, str] | None = None
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _reading_char(char: str, simplified: dict[str, str], lookalikes: dict[str, str]) -> str:
    category = unicodedata.category(char)
    if category in ("Cf", "Cc", "Zs", "Zl", "Zp") or category.startswith("M") or ord(char) in _FILLERS:
        return " "
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.category(c).startswith("M"))
    out = base if len(base) == 1 else char
    if not out.isascii() and not _is_cjk(out) and out in lookalikes:
        return lookalikes[out]  # a capital that looks Latin may not when lower case (Μ, μ)
    lower = out.lower()
    if len(lower) == 1:
        out = lower
    out = chr(_FOLD.get(ord(out), ord(out)))
    out = simplified.get(out, out)
    out = _NUMERALS.get(out, out)
    if not out.isascii() and not _is_cjk(out):
        out = lookalikes.get(out, out)
    return out


def _table() -> dict[int, str]:
    """The translation to the reading form, built once per process."""
    global _TABLE
    if _TABLE is not None:
        return _TABLE
    with _TABLE_LOCK:
        if _TABLE is None:
            simplified, lookalikes = _simplified(), _lookalikes()
            table: dict[int, str] = {code: " " for code in itertools.chain(range(0, 9), range(11, 13), range(14, 32),
                                                                            (0x7F,))}
            for low, high in _TABLE_RANGES:
                for code in range(low, high):
                    char = chr(code)
                    out = _reading_char(char, simplified, lookalikes)
                    if out != char:
                        table[code] = out
            for char, out in simplified.items():
                if ord(char) not in table:
                    table[ord(char)] = _NUMERALS.get(out, out)
            _TABLE = table
    return _TABLE


def reading_form(text: str) -> str:
    """The text as :func:`redact` reads it, of the same length (see the module's docstring)."""
    if text.isascii():
        return text.translate(_table()) if _ASCII_CONTROL.search(text) else text
    return text.translate(_table())


# ---------------------------------------------------------------------------
# Names and their distinctive cores
# ---------------------------------------------------------------------------

# Longest first, so that 社会工作服务中心 goes in one step rather than 中心 first.
_CJK_SUFFIXES = tuple(sorted({
    "社会工作服务中心", "社会工作服务社", "社会工作服务站", "社会工作事务所", "社会工作发展中心",
    "社工服务中心", "社工服务社", "社工服务站", "社工事务所", "社工发展中心",
    "社会服务中心", "公益服务中心", "志愿服务中心", "发展中心", "服务中心", "服务社", "服务站", "服务部", "服务点",
    "促进会", "联合会", "研究会", "志愿者协会", "协会", "基金会", "中心", "研究院", "事务所",
    "志愿服务队", "志愿者服务队", "志愿者队", "志愿队", "服务队", "互助队", "互助会", "互助组", "互助社",
    "志愿者联盟", "联盟", "俱乐部", "合作社", "工作坊", "读书会", "艺术团", "合唱团", "舞蹈队", "巡逻队",
    "小组", "工作室", "驿站", "之家", "家园", "队", "社", "团", "会", "站", "组",
}, key=len, reverse=True))
# Words common in names but too general to stand for one group; taken off
# the end of a name after its suffix (晨光长者关爱 → 晨光长者 → 晨光).
_CJK_GENERIC_ENDINGS = tuple(sorted({
    "长者", "老人", "儿童", "青少年", "家庭", "妇女", "邻里", "社区", "关爱", "互助", "爱心", "公益", "志愿", "志愿者",
    "服务", "居民", "残疾人", "环保", "文化", "艺术", "读书", "康复", "助残", "养老", "居家", "健康", "教育", "发展",
    "社会", "社工", "长者关爱", "青年", "义工", "慈善", "助老", "扶贫", "民生",
}, key=len, reverse=True))
_SOCIAL_WORK_SUFFIX = re.compile(r"^(社会工作|社工)")
# A leading place name: 深圳市, 南山区, 粤海街道 ... (but not ...社区, a community name).
_CJK_REGION = re.compile(f"^(?:[{_CJK}]{{1,6}}?(?:省|自治区|市|(?<!社)区|县|街道|镇|乡))+")

_LATIN_SUFFIXES = (
    "association", "centre", "center", "society", "team", "foundation", "group",
    "service", "services", "social work", "club", "network", "studio", "volunteers",
    "alliance", "union", "institute", "workshop",
)
_LATIN_GENERIC_ENDINGS = (
    "elderly", "care", "youth", "children", "community", "family", "families", "women", "social", "welfare",
    "volunteer", "volunteers", "service", "services", "neighbourhood", "neighborhood", "charity", "public",
    "love", "help", "aid", "support", "development", "culture", "arts", "health", "education", "senior", "seniors",
    "residents", "mutual", "&", "and", "for",
)
_LATIN_ARTICLE = re.compile(r"^the\s+", re.IGNORECASE)

# Words too common to stand for one group on their own.
_GENERIC_CORES = frozenset({
    "社区", "社会", "公益", "服务", "志愿", "志愿者", "居民", "街道", "长者", "老人", "儿童",
    "青少年", "家庭", "妇女", "关爱", "互助", "爱心", "社工", "中国", "残疾人", "邻里",
    "community", "social", "public", "welfare", "volunteer", "volunteers", "youth", "china",
    "chinese", "family", "care", "love", "help", "work", "service", "services", "elderly",
    "children", "neighbourhood", "neighborhood", "residents",
})
# Brackets and slashes that join two names in one: 阳光社工（Sunshine SW）, A / B.
_NAME_PARTS = re.compile(r"[()（）\[\]【】/|｜;；,，、]")


def _distinctive(term: str) -> bool:
    """At least two CJK characters or four Latin letters, and not a generic word."""
    if term.casefold() in _GENERIC_CORES:
        return False
    return len(_CJK_CHAR.findall(term)) >= 2 or len(_LATIN_LETTER.findall(term)) >= 4


def name_cores(name: str) -> tuple[str, ...]:
    """The short forms of a group name: 阳光社会工作服务中心 → 阳光社工, 阳光.

    Common organisational suffixes (and a leading place name) are removed,
    then general words at the end; only distinctive cores are kept.
    Traditional characters are read as simplified.
    """
    name = " ".join(str(name or "").split())
    found: list[str] = []
    starts = [name]
    folded = "".join(_simplified_char(char) for char in name)
    if folded != name:
        starts.append(folded)
        found.append(folded)
    for start in list(starts):
        without_region = _CJK_REGION.sub("", start)
        if without_region != start:
            starts.append(without_region)
            found.append(without_region)
    for start in starts:
        _strip_suffixes(start, found)
    return tuple(dict.fromkeys(core for core in found if core != name and _distinctive(core)))


def _simplified_char(char: str) -> str:
    out = _table().get(ord(char), char)
    # Numerals stay numerals here: 一心社 has the core 一心.
    return char if char in _NUMERALS or out in "0123456789 " else out


def _strip_suffixes(name: str, found: list[str]) -> None:
    current = _LATIN_ARTICLE.sub("", name)
    if current != name:
        found.append(current)
    for _ in range(8):
        stripped = None
        for suffix in _CJK_SUFFIXES:
            if current.endswith(suffix) and len(current) > len(suffix):
                stripped = current[: -len(suffix)].rstrip()
                if _SOCIAL_WORK_SUFFIX.match(suffix):
                    found.append(stripped + "社工")
                break
        if stripped is None:
            for ending in _CJK_GENERIC_ENDINGS:
                if current.endswith(ending) and _distinctive(current[: -len(ending)]):
                    stripped = current[: -len(ending)]
                    break
        if stripped is None:
            lowered = current.casefold()
            for ending in _LATIN_GENERIC_ENDINGS:
                if lowered.endswith(" " + ending) and _distinctive(current[: -len(ending)].rstrip(" -&")):
                    stripped = current[: -len(ending)].rstrip(" -&").rstrip()
                    break
        if stripped is None:
            for suffix in _LATIN_SUFFIXES:
                if lowered.endswith(suffix) and len(current) > len(suffix):
                    before = current[: -len(suffix)]
                    if before[-1:].isspace() or before[-1:] in {"-", "&"}:
                        stripped = before.rstrip(" -&").rstrip()
                        break
        if not stripped:
            return
        found.append(stripped)
        current = stripped


def _name_parts(name: str) -> list[str]:
    """A name and, if it joins several (阳光社工（Sunshine）), each of them."""
    parts = [name]
    pieces = [piece.strip() for piece in _NAME_PARTS.split(name)]
    if len(pieces) > 1:
        parts.extend(piece for piece in pieces if len(piece) >= 2)
    return parts


_DESCRIPTION_MARKER = re.compile(
    r"(?:原名|曾用名|旧名|旧称|前身(?:是|为)?|简称|又称|又名|别名|英文名称?|英文简称|英文全称|英文|外文名称?|"
    r"\bformerly(?:\s+known\s+as|\s+called)?|\balso\s+known\s+as|\ba\.?k\.?a\.?|\bshort\s+name|\benglish\s+name|"
    r"\bpreviously(?:\s+known\s+as|\s+called)?)"
    r"\s*(?:为|是|叫|:|：|,|，|-|—)?\s*[“\"「『《(（']?\s*([^，,。；;、\n“”\"」』》)）]{2,60})",
    re.IGNORECASE)
_LATIN_ORG_NAME = re.compile(
    r"\b(?:The\s+)?(?:[A-Z][A-Za-z&'’-]*\s+){1,6}(?:Centre|Center|Association|Society|Team|Foundation|Group|Club|"
    r"Network|Studio|Services?|Alliance|Union|Institute|Workshop|Volunteers)\b")


def names_in_description(text: str) -> tuple[str, ...]:
    """Names a group gives itself in its description: after 原名, 简称,
    英文名, formerly, also known as ..., and English organisation names."""
    if not isinstance(text, str) or not text:
        return ()
    found = [match.group(1).strip(" '\"") for match in _DESCRIPTION_MARKER.finditer(text)]
    found += [match.group(0).strip() for match in _LATIN_ORG_NAME.finditer(text)]
    return tuple(dict.fromkeys(name for name in found if len(name.replace(" ", "")) >= 2))


# ---------------------------------------------------------------------------
# People and their forms of address
# ---------------------------------------------------------------------------

_COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐",
    "端木", "澹台", "轩辕", "呼延", "南宫", "独孤", "西门", "闻人", "万俟", "赫连", "百里", "东郭", "公冶", "太史",
    "申屠", "钟离", "拓跋", "第五", "单于", "濮阳", "淳于", "左丘", "谷梁", "宗政", "漆雕", "巫马", "公西",
})
# How people are addressed by surname (李老师, 王姐) or given name (晓红姐).
_SURNAME_FORMS = ("老师", "阿姨", "先生", "女士", "小姐", "姐", "哥", "叔", "伯", "主任", "会长", "队长", "社长",
                  "组长", "社工", "书记", "医生", "律师", "教授", "博士")
_GIVEN_FORMS = ("姐", "哥", "老师", "阿姨")
_LATIN_TITLES = ("mr", "ms", "mrs", "miss", "mx", "dr", "prof", "madam", "madame", "mme", "sir")


def _cjk_name(name: str) -> tuple[str, str] | None:
    """(surname, given name) of a Chinese personal name of 2 to 4 characters."""
    compact = name.replace(" ", "")
    if not 2 <= len(compact) <= 4 or not all(_CJK_CHAR.match(char) for char in compact):
        return None
    simplified = "".join(_simplified_char(char) for char in compact)
    if len(compact) >= 3 and simplified[:2] in _COMPOUND_SURNAMES:
        return compact[:2], compact[2:]
    return compact[:1], compact[1:]


def _pinyin(text: str, heteronym: bool = False) -> list[list[str]]:
    try:
        from pypinyin import Style, pinyin
    except ImportError:  # pragma: no cover
        return []
    try:
        return [list(dict.fromkeys(readings)) for readings in
                pinyin(text, style=Style.NORMAL, heteronym=heteronym, errors="ignore")]
    except Exception as error:  # noqa: BLE001 - a name we cannot spell in pinyin is still matched as written
        log.warning("pinyin of a name failed: %r", error)
        return []


def person_forms(name: str) -> tuple[str, ...]:
    """A person's name and the forms others may use for it: surname +
    老师/阿姨/先生/女士/姐/哥 …, given name + 姐/哥, the name in pinyin in both
    orders, and Mr/Ms/Mrs/Dr + surname (李慧敏 → 李老师, 慧敏姐, Li Huimin,
    Huimin Li, Ms Li; Wang Fang → Ms Wang, Mr Fang)."""
    name = " ".join(str(name or "").split())
    forms = [name]
    cjk = _cjk_name(name)
    if cjk is not None:
        surname, given = cjk
        forms += [surname + form for form in _SURNAME_FORMS]
        if len(given) >= 2:
            forms += [given + form for form in _GIVEN_FORMS]
        surname_readings = [" ".join(parts) for parts in itertools.product(*_pinyin(surname, heteronym=True))]
        given_reading = " ".join(syllable[0] for syllable in _pinyin(given) if syllable)
        for reading in surname_readings:
            compact = reading.replace(" ", "")
            if given_reading:
                forms += [f"{compact} {given_reading}", f"{given_reading} {compact}"]
            forms += [f"{title} {compact}" for title in _LATIN_TITLES]
    else:
        tokens = [token for token in re.split(r"[\s.·•・]+", name) if token]
        if len(tokens) >= 2 and all(token.isascii() and token.replace("-", "").replace("'", "").isalpha()
                                    for token in tokens):
            for token in {tokens[0], tokens[-1]}:
                forms += [f"{title} {token}" for title in _LATIN_TITLES]
    return tuple(dict.fromkeys(forms))


# ---------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------

# What may stand between two letters of a name: white space (and invisible
# characters, which the reading form turns into spaces), punctuation,
# Markdown markers, HTML tags and entities. In the *spaced form* of a text
# each of them is a space (the text keeps its length), and a name may have
# up to ``_GAP_MAX`` spaces between two of its letters.
_GAP_CHARS = "*_~`#|\\^=+-\u2010\u2011\u2012\u2013\u2014\u2015.·•・‧∙⋅/,，、。:：;；'\"‘’“”()（）[]【】「」『』《》〈〉!！?？\t\n\r\f\v"
_TO_SPACE = re.compile("[" + re.escape(_GAP_CHARS) + "]")
_MARKUP = re.compile(r"<[^<>]{0,60}>|&#?[A-Za-z0-9]{1,8};")
_GAP_MAX = 64
_GAP = f" {{0,{_GAP_MAX}}}"
_DIGIT_GAP = " {0,24}"
_MARKUP_CHARS = re.compile(r"[<>&]")


def _unmarked(wide: str) -> str:
    """The reading form with tags and entities turned into spaces."""
    if "<" in wide or "&" in wide:
        return _MARKUP.sub(lambda match: " " * len(match.group(0)), wide)
    return wide


def _spaced(wide: str) -> str:
    """The reading form with every gap (see ``_GAP_CHARS``, tags, entities) a space."""
    return _TO_SPACE.sub(" ", _unmarked(wide))


def _spaced_forms(wide: str) -> list[str]:
    """The spaced form; and, for a text with ``<`` or ``&``, the same with
    only those characters made spaces: what stands between them is read too
    (a name written as <晨光> or &Sunshine; in plain text is shown as it is)."""
    forms = [_spaced(wide)]
    if "<" in wide or "&" in wide:
        forms.append(_TO_SPACE.sub(" ", _MARKUP_CHARS.sub(" ", wide)))
    return forms


def _letters(term: str) -> list[str]:
    """A term's letters in spaced form, ASCII in lower case."""
    return [char.lower() if char.isascii() else char for char in _spaced(term) if char != " "]


_END = ""


def _trie_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for many names, as a trie of their letters (so the engine
    tries each letter once, not once per name), with ``_GAP`` between
    letters and whole words at Latin and digit edges."""
    root: dict[str, dict] = {}
    for term in terms:
        letters = _letters(term)
        if len(letters) < 2:
            continue
        node = root
        for char in letters:
            node = node.setdefault(char, {})
        node[_END] = {}
    if not root:
        return None

    def after(node: dict[str, dict], char: str) -> str:
        branches = []
        children = sorted(key for key in node if key != _END)
        if children:
            branches.append(_GAP + "(?:" + "|".join(re.escape(c) + after(node[c], c) for c in children) + ")")
        if _END in node:
            branches.append(r"(?![a-z0-9])" if char.isascii() and char.isalnum() else "")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    body = "|".join((r"(?<![a-z0-9])" if char.isascii() and char.isalnum() else "") + re.escape(char)
                    + after(root[char], char) for char in sorted(root))
    # A look-ahead on the first letters lets the engine skip ahead quickly.
    first = "".join(re.escape(char) for char in sorted(root))
    return re.compile(f"(?=[{first}])(?:{body})", re.IGNORECASE)


_TLD = r"(?:com|cn|net|org|edu|gov|info|io|me|hk|tw|mo|cc|co|biz|top|xyz|site|online|uk|us)"
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])", re.ASCII)
# An address spelled out to slip past a filter: name(at)qq(dot)com, name#qq.com, name at 163 dot com.
_EMAIL_SPELLED = re.compile(
    r"(?<![\w.+-])[\w.+-]{2,64}\s?(?:[(\[{（【]\s?(?:at|艾特)\s?[)\]}）】]|\s(?:at)\s|[#＃]|\s?艾特\s?)\s?"
    r"[A-Za-z0-9-]{1,63}(?:\s?(?:\.|[(\[{（【]\s?(?:dot|点)\s?[)\]}）】]|\s(?:dot)\s|点)\s?[A-Za-z0-9-]{1,63})*"
    r"\s?(?:\.|[(\[{（【]\s?(?:dot|点)\s?[)\]}）】]|\s(?:dot)\s|点)\s?" + _TLD + r"(?![\w-])",
    re.ASCII | re.IGNORECASE)

_SPELLED_HINT = re.compile(r"[#＃]|艾特|(?<![A-Za-z])at(?![A-Za-z])", re.IGNORECASE)

_SEP = r"(?:[ \-\u2010-\u2015.·・/]|\s?[\-\u2010-\u2015]\s?)?"
_PHONE = re.compile(
    r"(?=[\d+(（])(?:" + "|".join([
        # Mobile: 13900139004, 139-0013-9004, 139 0013 9004, +86 139 0013 9004, 0086-13900139004
        rf"(?<![\d+])(?:(?:\+|00)?86{_SEP}|\(\+?86\){_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}(?!\d)",
        # Landline with area code: 020-38880001, (020)38880001, 0755-1234567, 0755 1234 5678
        rf"(?<!\d)(?:\(0\d{{2,3}}\)|（0\d{{2,3}}）|0\d{{2,3}}[ \-\u2010-\u2015.])\s?\d{{3,4}}{_SEP}\d{{4}}(?!\d)",
        # International landline: +86 20 3888 0001, +86-755-12345678, +86 (0)20 38880001
        rf"(?<![\d+])(?:\+|00)86{_SEP}(?:\(0\))?[1-9]\d{{1,2}}{_SEP}\d{{3,4}}{_SEP}\d{{4}}(?!\d)",
        # Service numbers: 400-123-4567, 4001234567
        r"(?<!\d)[48]00(?:-\d{3}-\d{4}|\d{7})(?!\d)",
    ]) + ")"
)
# 居民身份证 (18 characters: area, birth date, sequence, check digit or X).
_ID_BODY = r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}[ \-]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[ \-]?\d{3}[\dXx]"
    r"(?![0-9A-Za-z])")
# A messaging account given as contact: 微信 sunshine2020, QQ：12345678.
_HANDLE = re.compile(
    r"(?=[微vVwWqQ钉tTsSlL抖小])(?<![A-Za-z0-9])(?:微信号?|微信公众号|wechat|weixin|v信|vx|wx|qq群?号?|钉钉号?|whatsapp|telegram|skype|line\s?id|抖音号?|"
    r"小红书号?|微博)\s*(?:id|ID|号|账号)?\s*[:：]?\s*(?P<id>[A-Za-z][-_A-Za-z0-9]{4,19}|\d{5,12})(?![-_A-Za-z0-9])",
    re.IGNORECASE)
# Digits with a few separators between each of them (1 3 9 0 0 1 3 9 0 0 4,
# 139.0013.9004): read together, they are checked against the shapes below.
_DIGIT_RUN = re.compile(r"\d(?:[\s\-\u2010-\u2015.·・/_*~`|\\()（）+]{0,24}[\dXx]){6,}")
_COMPACT_SHAPES = (
    ("phone", re.compile(r"(?<![\dX])(?:0{0,2}86)?1[3-9]\d{9}(?![\dX])")),
    ("phone", re.compile(r"(?<![\dX])0\d{9,11}(?![\dX])")),
    ("phone", re.compile(r"(?<![\dX])[48]00\d{7}(?![\dX])")),
    ("id_number", re.compile(r"(?<![\dX])" + _ID_BODY.replace("[\\dXx]", "[\\dX]") + r"(?![\dX])")),
)


_RUN_SEPARATORS = re.compile(r"[^\dXx]")


def _compact_hits(wide: str) -> list[tuple[int, int, str]]:
    hits = []
    for run in _DIGIT_RUN.finditer(wide):
        text = run.group(0)
        compact = _RUN_SEPARATORS.sub("", text).upper()
        positions: list[int] | None = None
        for kind, shape in _COMPACT_SHAPES:
            for match in shape.finditer(compact):
                if positions is None:
                    positions = [run.start() + index for index, char in enumerate(text) if char.isdigit() or char in "Xx"]
                hits.append((positions[match.start()], positions[match.end() - 1] + 1, kind))
    return hits


@dataclass(frozen=True)
class _Patterns:
    group: re.Pattern[str] | None
    member: re.Pattern[str] | None
    phones: re.Pattern[str] | None
    credit: re.Pattern[str] | None


def _digits_pattern(values: Iterable[str], minimum: int) -> re.Pattern[str] | None:
    terms = []
    for value in values:
        digits = re.sub(r"[^0-9]", "", value)
        if len(digits) >= minimum:
            terms.append(_DIGIT_GAP.join(digits))
    if not terms:
        return None
    return re.compile(r"(?<!\d)(?:" + "|".join(sorted(set(terms), key=len, reverse=True)) + r")(?!\d)")


def _normalised(identity: Identity) -> Identity:
    """The identity with every field a tuple of strings, so it can be cached."""

    def strings(values: object) -> tuple[str, ...]:
        if values is None:
            return ()
        if isinstance(values, str):
            return (values,)
        try:
            return tuple(str(value) for value in values if value is not None)  # type: ignore[attr-defined]
        except TypeError:
            return (str(values),)

    return Identity(
        group_names=strings(identity.group_names),
        member_names=strings(identity.member_names),
        emails=strings(identity.emails),
        phones=strings(identity.phones),
        credit_codes=strings(identity.credit_codes),
        contact_names=strings(getattr(identity, "contact_names", ())),
    )


@dataclass(frozen=True)
class _Terms:
    """An identity's searchable terms, in reading form, before any regex is built."""

    groups: tuple[str, ...]
    members: tuple[str, ...]
    codes: tuple[str, ...]     # credit codes, upper case, no spaces
    phones: tuple[str, ...]    # the digits of the group's own numbers (5 or more)


def _reading(term: str) -> str:
    return " ".join(reading_form(term).split())


def _person_term(name: str) -> bool:
    return len(_CJK_CHAR.findall(name)) >= 2 or len(_LATIN_LETTER.findall(name)) >= 4


@functools.lru_cache(maxsize=8192)
def _terms(identity: Identity) -> _Terms:
    groups: list[str] = []
    for raw in identity.group_names:
        name = " ".join(str(raw or "").split())
        for part in _name_parts(name):
            if len(_letters(part)) < 2:
                continue
            for term in (part, *name_cores(part)):
                groups.append(_reading(term))
                if _CJK_CHAR.search(term) and not _LATIN_LETTER.search(term):
                    spelled = " ".join(syllable[0] for syllable in _pinyin(term) if syllable)
                    if len(spelled.replace(" ", "")) >= 6:
                        groups.append(spelled)
    members: list[str] = []
    for raw in (*identity.member_names, *identity.contact_names):
        name = " ".join(str(raw or "").split())
        if not _person_term(_reading(name)):
            continue
        members += [_reading(form) for form in person_forms(name)]
    members = [name for name in members if _person_term(name)]
    codes = []
    for code in identity.credit_codes:
        code = "".join(reading_form(str(code or "")).split()).upper()
        if len(code) >= 8 and code.isalnum():
            codes.append(code)
    phones = [re.sub(r"[^0-9]", "", reading_form(str(value or ""))) for value in identity.phones]
    return _Terms(groups=tuple(dict.fromkeys(g for g in groups if len(_letters(g)) >= 2)),
                  members=tuple(dict.fromkeys(members)), codes=tuple(dict.fromkeys(codes)),
                  phones=tuple(dict.fromkeys(digits for digits in phones if len(digits) >= 5)))


@functools.lru_cache(maxsize=64)
def _patterns(identity: Identity) -> _Patterns:
    terms = _terms(identity)
    credit = (
        re.compile(r"(?<![A-Za-z0-9])(?:"
                   + "|".join(sorted({_DIGIT_GAP.join(re.escape(char) for char in code) for code in terms.codes},
                                     key=len, reverse=True))
                   + r")(?![A-Za-z0-9])", re.IGNORECASE)
        if terms.codes else None
    )
    return _Patterns(
        group=_trie_pattern(terms.groups),
        member=_trie_pattern(terms.members),
        phones=_digits_pattern(terms.phones, 5),
        credit=credit,
    )


def _fold(text: str) -> str:
    """Case and white space set aside, as re.IGNORECASE reads letters."""
    return "".join(text.replace("\u0130", "i").lower().split()).translate(_FOLD)


@functools.lru_cache(maxsize=8192)
def _folded_terms(terms: _Terms) -> tuple[str, ...]:
    return tuple(_fold("".join(_letters(term))) for term in (*terms.groups, *terms.members, *terms.codes))


def _may_name(spaced: str, terms: _Terms) -> bool:
    """False only when no identity pattern can match ``spaced`` (a text in
    spaced form): each one, spaces and case set aside, would have to occur
    in it as it is. This spares compiling a group's patterns for the many
    short texts that never name it (a listing of titles, each of another group)."""
    folded = _fold(spaced)
    for term in _folded_terms(terms):
        if term in folded:
            return True
    if terms.phones:
        return any(phone in folded for phone in terms.phones)
    return False


_GENERAL = (("email", _EMAIL), ("email", _EMAIL_SPELLED), ("phone", _PHONE), ("id_number", _ID_NUMBER),
            ("handle", _HANDLE))


_QUICK_CHECK_CHARS = 4000  # a longer text is checked in full (it is likely to be checked anyway)


def _hits(text: str, identity: Identity, full: bool) -> list[tuple[int, int, str]]:
    """Every hit in ``text`` as (start, end, kind), offsets in ``text``."""
    wide = reading_form(text)
    hits: list[tuple[int, int, str]] = []
    for kind, pattern in _GENERAL:
        if kind == "email" and pattern is _EMAIL_SPELLED and not _SPELLED_HINT.search(wide):
            continue
        for match in pattern.finditer(wide):
            start, end = (match.start("id"), match.end("id")) if "id" in pattern.groupindex else match.span()
            if end > start:
                hits.append((start, end, kind))
    hits.extend(_compact_hits(_unmarked(wide)))
    forms = _spaced_forms(wide)
    if full or len(text) > _QUICK_CHECK_CHARS or len(forms) > 1 or _may_name(forms[0], _terms(identity)):
        patterns = _patterns(identity)
        for spaced in forms:
            for kind, pattern in (("group_name", patterns.group), ("member_name", patterns.member),
                                  ("credit_code", patterns.credit), ("phone", patterns.phones)):
                if pattern is not None:
                    hits.extend((match.start(), match.end(), kind) for match in pattern.finditer(spaced)
                                if match.end() > match.start())
    return hits


# ---------------------------------------------------------------------------
# Finding
# ---------------------------------------------------------------------------

def _excerpt(text: str, start: int, end: int) -> str:
    hit = text[start:end]
    if len(hit) > _HIT_MAX:
        hit = hit[:_HIT_MAX] + "…"
    before = text[max(0, start - CONTEXT):start]
    after = text[end:end + CONTEXT]
    excerpt = ("…" if start > CONTEXT else "") + before + hit + after + ("…" if end + CONTEXT < len(text) else "")
    return " ".join(excerpt.split())


def find_leaks(texts: Mapping[str, str], identity: Identity) -> list[Finding]:
    """Every place where the texts may reveal the group, in order, without repeats.

    ``texts`` maps a place ("title", "section:need", "attachment:7:text"...)
    to its text. Never raises: a place that cannot be read is skipped.
    """
    findings: dict[Finding, None] = {}
    try:
        identity = _normalised(identity)
        items = list(texts.items())
    except Exception as error:  # noqa: BLE001 - a guard must not break the page
        log.warning("leak check skipped: %r", error)
        return []
    for place, text in items:
        try:
            for finding in _scan(str(place), text, identity):
                findings.setdefault(finding, None)
        except Exception as error:  # noqa: BLE001
            log.warning("leak check of %r failed: %r", place, error)
    return list(findings)


def _scan(place: str, text: object, identity: Identity) -> Iterable[Finding]:
    if not isinstance(text, str) or not text:
        return []
    hits = _hits(text, identity, full=True)
    hits.sort(key=lambda hit: (hit[0], -hit[1]))
    results: list[Finding] = []
    reach: dict[str, int] = {}  # kind -> furthest end of a hit so far
    for start, end, kind in hits:
        # A span inside an earlier hit of the same kind (the group's own phone
        # number also found by the general pattern) counts once.
        if end <= reach.get(kind, -1):
            continue
        reach[kind] = end
        results.append(Finding(place=place, kind=kind, excerpt=_excerpt(text, start, end)))
    return results


# ---------------------------------------------------------------------------
# Redacting
# ---------------------------------------------------------------------------

REDACTED = "■■■"


def _merged(spans: Iterable[tuple[int, int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def redact(text: str, identity: Identity, *, full: bool = False) -> str:
    """The text with every hit :func:`find_leaks` would report (the group's
    names, its members' and contact person's names, its credit code and phone
    numbers, and any e-mail address, phone number, ID-card number or
    messaging account) replaced by ``REDACTED``.

    What reviewers and the public read goes through here. Never raises: if
    the text cannot be checked, none of it is shown. ``full`` runs every
    pattern even where the quick check says the group's cannot match (the
    tests compare both).
    """
    if not isinstance(text, str) or not text:
        return text if isinstance(text, str) else ""
    try:
        merged = _merged((start, end) for start, end, _kind in _hits(text, _normalised(identity), full))
        if not merged:
            return text
        pieces: list[str] = []
        last = 0
        for start, end in merged:
            pieces.append(text[last:start])
            pieces.append(REDACTED)
            last = end
        pieces.append(text[last:])
        return "".join(pieces)
    except Exception as error:  # noqa: BLE001 - fail closed: show nothing rather than a name
        log.warning("redaction failed: %r", error)
        return REDACTED


_HTML_TOKEN = re.compile(r"<[^>]*>|&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});|[^<&]+|[<&]")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9]*)")


def redact_html(markup: str, identity: Identity) -> str:
    """Sanitised HTML (a comment's) with the same hits replaced, read as a
    reader sees it: across tags (阳<b>光</b>) and through entities (&#38451;).
    Tags are kept, so the markup stays balanced; a tag whose attributes hold a
    hit loses its attributes. Never raises: if it cannot be checked, nothing
    of it is shown."""
    if not isinstance(markup, str) or not markup:
        return markup if isinstance(markup, str) else ""
    try:
        identity = _normalised(identity)
        atoms: list[tuple[str, bool]] = []   # (markup, is_tag)
        visible: list[str] = []
        owners: list[int] = []              # the atom each visible character comes from
        for token in _HTML_TOKEN.finditer(markup):
            piece = token.group(0)
            if piece.startswith("<") and len(piece) > 1:
                atoms.append((piece, True))
                visible.append(" ")
                owners.append(len(atoms) - 1)
            elif piece.startswith("&") and len(piece) > 1:
                atoms.append((piece, False))
                for char in html.unescape(piece):
                    visible.append(char)
                    owners.append(len(atoms) - 1)
            else:
                for char in piece:
                    atoms.append((char, False))
                    visible.append(char)
                    owners.append(len(atoms) - 1)
        text = "".join(visible)
        spans = _merged((start, end) for start, end, _kind in _hits(text, identity, full=False))
        span_of: dict[int, int] = {}
        for number, (start, end) in enumerate(spans):
            for index in range(start, end):
                span_of.setdefault(owners[index], number)
        out: list[str] = []
        written: set[int] = set()
        for index, (piece, is_tag) in enumerate(atoms):
            if is_tag:
                out.append(_clean_tag(piece, identity))
                continue
            number = span_of.get(index)
            if number is None:
                out.append(piece)
            elif number not in written:
                written.add(number)
                out.append(REDACTED)
        return "".join(out)
    except Exception as error:  # noqa: BLE001 - fail closed
        log.warning("redaction of markup failed: %r", error)
        return REDACTED


def _clean_tag(tag: str, identity: Identity) -> str:
    readable = html.unescape(tag[1:-1] if tag.endswith(">") else tag[1:])
    if not _hits(readable, identity, full=False):
        return tag
    name = _TAG_NAME.match(tag)
    return f"<{name.group(1)}{name.group(2)}>" if name else ""
