"""The blind-review guard: does a proposal say who wrote it?

Reviewers score proposals without knowing the applicant group (匿名评审).
Before a proposal is submitted, :func:`find_leaks` looks through every piece
of its text (title, sections, budget lines, attachment names, text and
metadata) for the group's name or the short form people use for it, its
members' names, its credit code, and any e-mail address or phone number, so
that the applicant can be warned and take them out.

Pure functions, no request, no database; nothing here raises.
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["KINDS", "REDACTED", "Finding", "Identity", "find_leaks", "name_cores", "redact"]

log = logging.getLogger(__name__)

KINDS = frozenset({"group_name", "member_name", "phone", "email", "credit_code"})

# Characters of context shown on each side of a hit in an excerpt, and the
# longest hit shown in full.
CONTEXT = 20
_HIT_MAX = 80


@dataclass(frozen=True)
class Identity:
    """What would identify an applicant group."""

    group_names: tuple[str, ...]
    member_names: tuple[str, ...]
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    credit_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One place where a proposal may reveal its group."""

    place: str
    kind: str
    excerpt: str


# ---------------------------------------------------------------------------
# Names and their distinctive cores
# ---------------------------------------------------------------------------

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")

# Longest first, so that 社会工作服务中心 goes in one step rather than 中心 first.
_CJK_SUFFIXES = tuple(sorted({
    "社会工作服务中心", "社会工作服务社", "社会工作服务站", "社会工作事务所", "社会工作发展中心",
    "社工服务中心", "社工服务社", "社工服务站", "社工事务所", "社工发展中心",
    "社会服务中心", "公益服务中心", "志愿服务中心", "发展中心", "服务中心", "服务社", "服务站",
    "促进会", "联合会", "研究会", "志愿者协会", "协会", "基金会", "中心",
    "志愿服务队", "志愿者服务队", "志愿者队", "志愿队", "服务队", "互助队", "互助会", "互助组",
    "小组", "工作室", "队",
}, key=len, reverse=True))
_SOCIAL_WORK_SUFFIX = re.compile(r"^(社会工作|社工)")
# A leading place name: 深圳市, 南山区, 粤海街道 ... (but not ...社区, a community name).
_CJK_REGION = re.compile(f"^(?:[{_CJK}]{{1,6}}?(?:省|自治区|市|(?<!社)区|县|街道|镇|乡))+")

_LATIN_SUFFIXES = (
    "association", "centre", "center", "society", "team", "foundation", "group",
    "service", "services", "social work", "club", "network", "studio",
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


def _distinctive(term: str) -> bool:
    """At least two CJK characters or four Latin letters, and not a generic word."""
    if term.casefold() in _GENERIC_CORES:
        return False
    return len(_CJK_CHAR.findall(term)) >= 2 or len(_LATIN_LETTER.findall(term)) >= 4


def name_cores(name: str) -> tuple[str, ...]:
    """The short forms of a group name: 阳光社会工作服务中心 → 阳光社工, 阳光.

    Common organisational suffixes (and a leading place name) are removed;
    only distinctive cores are kept.
    """
    name = " ".join(name.split())
    found: list[str] = []
    starts = [name]
    without_region = _CJK_REGION.sub("", name)
    if without_region != name:
        starts.append(without_region)
        found.append(without_region)
    for start in starts:
        _strip_suffixes(start, found)
    return tuple(dict.fromkeys(core for core in found if core != name and _distinctive(core)))


def _strip_suffixes(name: str, found: list[str]) -> None:
    current = _LATIN_ARTICLE.sub("", name)
    if current != name:
        found.append(current)
    for _ in range(6):
        stripped = None
        for suffix in _CJK_SUFFIXES:
            if current.endswith(suffix) and len(current) > len(suffix):
                stripped = current[: -len(suffix)].rstrip()
                if _SOCIAL_WORK_SUFFIX.match(suffix):
                    found.append(stripped + "社工")
                break
        if stripped is None:
            lowered = current.casefold()
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


# ---------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------

_INNER_SPACE = r"\s{0,2}"  # PDF text often breaks or spaces CJK words


def _term_pattern(term: str) -> str:
    """A name as a regex: flexible white space, whole words at Latin edges."""
    pieces: list[str] = []
    for index, char in enumerate(term):
        if char.isspace():
            if not pieces or pieces[-1] == r"\s+":
                continue
            pieces.append(r"\s+")
            continue
        if index and _CJK_CHAR.match(char) and _CJK_CHAR.match(term[index - 1]):
            pieces.append(_INNER_SPACE)
        pieces.append(re.escape(char))
    body = "".join(pieces)
    if term[:1].isascii() and term[:1].isalnum():
        body = r"(?<![A-Za-z0-9])" + body
    if term[-1:].isascii() and term[-1:].isalnum():
        body += r"(?![A-Za-z0-9])"
    return body


def _alternation(terms: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted({term for term in terms if term}, key=len, reverse=True)
    if not unique:
        return None
    # A look-ahead on the first characters lets the engine skip ahead quickly.
    first = "".join(sorted({re.escape(term[0]) for term in unique}))
    body = "|".join(f"(?:{_term_pattern(term)})" for term in unique)
    return re.compile(f"(?=[{first}])(?:{body})", re.IGNORECASE)


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])", re.ASCII)

_SEP = r"[ \-\u2010-\u2014]?"
_PHONE = re.compile(
    r"(?=[\d+(（])(?:" + "|".join([
        # Mobile: 13900139004, 139-0013-9004, 139 0013 9004, +86 139 0013 9004, 0086-13900139004
        rf"(?<![\d+])(?:(?:\+|00)?86{_SEP}|\(\+?86\){_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}(?!\d)",
        # Landline with area code: 020-38880001, (020)38880001, 0755-1234567, 0755 1234 5678
        rf"(?<!\d)(?:\(0\d{{2,3}}\)|（0\d{{2,3}}）|0\d{{2,3}}[ \-\u2010-\u2014])\s?\d{{3,4}}{_SEP}\d{{4}}(?!\d)",
        # International landline: +86 20 3888 0001, +86-755-12345678, +86 (0)20 38880001
        rf"(?<![\d+])(?:\+|00)86{_SEP}(?:\(0\))?[1-9]\d{{1,2}}{_SEP}\d{{3,4}}{_SEP}\d{{4}}(?!\d)",
        # Service numbers: 400-123-4567, 4001234567
        r"(?<!\d)[48]00(?:-\d{3}-\d{4}|\d{7})(?!\d)",
    ]) + ")"
)

# Full-width ASCII (Ａ, ＠, １) read as ASCII; the length of the text is kept.
_WIDE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_HAS_WIDE = re.compile("[\uff01-\uff5e\u3000]")


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
            terms.append(r"[ \-]?".join(digits))
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
        return tuple(str(value) for value in values if value is not None)  # type: ignore[attr-defined]

    return Identity(
        group_names=strings(identity.group_names),
        member_names=strings(identity.member_names),
        emails=strings(identity.emails),
        phones=strings(identity.phones),
        credit_codes=strings(identity.credit_codes),
    )


@dataclass(frozen=True)
class _Terms:
    """An identity's searchable terms, normalised, before any regex is built."""

    groups: tuple[str, ...]
    members: tuple[str, ...]
    codes: tuple[str, ...]     # credit codes, upper case, no spaces
    phones: tuple[str, ...]    # the digits of the group's own numbers (5 or more)


@functools.lru_cache(maxsize=8192)
def _terms(identity: Identity) -> _Terms:
    groups: list[str] = []
    for name in identity.group_names:
        name = " ".join(str(name or "").translate(_WIDE).split())
        if len(name.replace(" ", "")) >= 2:
            groups.append(name)
            groups.extend(name_cores(name))
    members = [
        " ".join(str(name or "").translate(_WIDE).split()) for name in identity.member_names
    ]
    members = [name for name in members
               if len(_CJK_CHAR.findall(name)) >= 2 or len(_LATIN_LETTER.findall(name)) >= 4]
    codes = []
    for code in identity.credit_codes:
        code = "".join(str(code or "").translate(_WIDE).split()).upper()
        if len(code) >= 8 and code.isalnum():
            codes.append(code)
    phones = [re.sub(r"[^0-9]", "", value) for value in identity.phones]
    return _Terms(groups=tuple(groups), members=tuple(members), codes=tuple(codes),
                  phones=tuple(digits for digits in phones if len(digits) >= 5))


@functools.lru_cache(maxsize=64)
def _patterns(identity: Identity) -> _Patterns:
    terms = _terms(identity)
    credit = (
        re.compile(r"(?<![A-Za-z0-9])(?:"
                   + "|".join(sorted({r"\s?".join(re.escape(char) for char in code) for code in terms.codes},
                                     key=len, reverse=True))
                   + r")(?![A-Za-z0-9])", re.IGNORECASE)
        if terms.codes else None
    )
    return _Patterns(
        group=_alternation(terms.groups),
        member=_alternation(terms.members),
        phones=_digits_pattern(terms.phones, 5),
        credit=credit,
    )


# What re.IGNORECASE treats as one letter, folded to one character: the
# simple lower case (str.lower is the full one only for İ), then the extra
# equivalences the regex engine itself uses (ſ and s, ς and σ, ı and i ...).
def _fold_table() -> dict[int, int] | None:
    try:
        from re import _casefix  # the engine's own table (Python 3.11+)
    except ImportError:  # pragma: no cover - another Python: always take the slow path
        return None
    table: dict[int, int] = {}
    for code, extras in _casefix._EXTRA_CASES.items():
        table[code] = min((code, *extras))
    return table


_FOLD = _fold_table()


def _fold(text: str) -> str:
    return "".join(text.replace("\u0130", "i").lower().split()).translate(_FOLD or {})


@functools.lru_cache(maxsize=8192)
def _folded_terms(terms: _Terms) -> tuple[str, ...]:
    return tuple(_fold(term) for term in (*terms.groups, *terms.members, *terms.codes))


def _may_name(wide: str, terms: _Terms) -> bool:
    """False only when no identity pattern can match ``wide``: each one, with
    white space and case set aside, would have to occur in it as it is. This
    spares compiling a group's patterns for the many texts that never name
    it (a reviewer's list of hundreds of titles, each of another group)."""
    if _FOLD is None:
        return True
    folded = _fold(wide)
    for term in _folded_terms(terms):
        if term in folded:
            return True
    if terms.phones:
        digits = folded.replace("-", "")
        return any(phone in digits for phone in terms.phones)
    return False


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
        patterns = _patterns(_normalised(identity))
        items = list(texts.items())
    except Exception as error:  # noqa: BLE001 - a guard must not break the page
        log.warning("leak check skipped: %r", error)
        return []
    for place, text in items:
        try:
            for finding in _scan(str(place), text, patterns):
                findings.setdefault(finding, None)
        except Exception as error:  # noqa: BLE001
            log.warning("leak check of %r failed: %r", place, error)
    return list(findings)


def _scan(place: str, text: object, patterns: _Patterns) -> Iterable[Finding]:
    if not isinstance(text, str) or not text:
        return []
    wide = text.translate(_WIDE) if _HAS_WIDE.search(text) else text
    hits: list[tuple[int, int, str]] = []
    for kind, pattern in (
        ("group_name", patterns.group),
        ("member_name", patterns.member),
        ("credit_code", patterns.credit),
        ("email", _EMAIL),
        ("phone", _PHONE),
        ("phone", patterns.phones),
    ):
        if pattern is None:
            continue
        hits.extend((match.start(), match.end(), kind)
                    for match in pattern.finditer(wide) if match.end() > match.start())
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


def redact(text: str, identity: Identity, *, full: bool = False) -> str:
    """The text with every hit :func:`find_leaks` would report (the group's
    names, its members' names, its credit code and phone numbers, and any
    e-mail address or phone number) replaced by ``REDACTED``.

    What reviewers read goes through here. Never raises: if the text cannot
    be checked, none of it is shown. ``full`` runs every pattern even where
    the quick check says the group's cannot match (the tests compare both).
    """
    if not isinstance(text, str) or not text:
        return text if isinstance(text, str) else ""
    try:
        identity = _normalised(identity)
        wide = text.translate(_WIDE) if _HAS_WIDE.search(text) else text
        if full or _may_name(wide, _terms(identity)):
            patterns = _patterns(identity)
            checks = (patterns.group, patterns.member, patterns.credit, _EMAIL, _PHONE, patterns.phones)
        else:
            checks = (_EMAIL, _PHONE)
        spans: list[tuple[int, int]] = []
        for pattern in checks:
            if pattern is not None:
                spans.extend((m.start(), m.end()) for m in pattern.finditer(wide) if m.end() > m.start())
        if not spans:
            return text
        spans.sort()
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
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
