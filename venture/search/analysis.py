"""Text analysis for the search index: Chinese words from jieba, English
words stemmed, every token at a *word* position.

jieba's own ``ChineseAnalyzer`` records character offsets as positions, so
whoosh's phrase queries (which want consecutive positions) find nothing.
Here a token's position is its running index, and its characters are kept
separately for highlighting.

How a text becomes tokens (the same at indexing and at query time):

1. Full-width Latin letters, digits and punctuation are folded to their
   half-width forms (one character for one, so offsets stay true).
2. The text is split into runs of Chinese characters, numbers (``3.5``) and
   other letters or digits (``gardens``, ``2026``); everything else —
   spaces, punctuation, symbols — is dropped.
3. A Chinese run is cut by jieba in its default mode without the HMM, so the
   same characters are always cut the same way. A word longer than two
   characters is then split, left to right, into jieba dictionary pairs and
   single characters: 社区养老服务中心 → 社区 养老 服务 中心, 养老院 → 养老 院.
   These small pieces are the tokens, so 养老 finds 社区养老服务 whichever
   way the surrounding text was cut, and a quoted phrase is a run of
   consecutive pieces: "社区养老" finds 社区养老服务 but not 社区里……养老.
4. Tokens are lower-cased; ASCII words are stemmed (gardens → garden).

The analyzer is pickled into the index's schema by whoosh, so its parts are
module-level classes and functions. Changing how text is cut means running
``flask --app venture search rebuild``.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from markupsafe import Markup, escape
from whoosh.analysis import LowercaseFilter, StemFilter, Token, Tokenizer
from whoosh.analysis.analyzers import Analyzer
from whoosh.lang.porter import stem

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_RUNS = re.compile(rf"(?P<cjk>[{_CJK}]+)|\d+(?:\.\d+)+|[^\W_{_CJK}]+")
_ASCII_WORD = re.compile(r"[a-z]+")
# Full-width ASCII (！ to ～) and the ideographic space, folded one for one.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_jieba_lock = threading.Lock()
_jieba: Any = None


def jieba_tokenizer() -> Any:
    """jieba's default tokenizer, initialised once per process and quietly."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba.dt
    return _jieba


def fold(text: str) -> str:
    """Full-width Latin forms to half-width, keeping every offset."""
    return text.translate(_FOLD)


def _pieces(word: str, freq: dict[str, int]) -> Iterator[tuple[int, int]]:
    """Split a jieba word into dictionary pairs and single characters."""
    if len(word) <= 2:
        yield 0, len(word)
        return
    index = 0
    while index < len(word):
        size = 2 if index + 2 <= len(word) and freq.get(word[index:index + 2]) else 1
        yield index, index + size
        index += size


def spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every token of an already folded text, in order."""
    for match in _RUNS.finditer(text):
        if match.group("cjk") is None:
            yield match.span()
            continue
        tokenizer = jieba_tokenizer()
        base = match.start()
        for word, start, _end in tokenizer.tokenize(match.group(), HMM=False):
            for left, right in _pieces(word, tokenizer.FREQ):
                yield base + start + left, base + start + right


class JiebaTokenizer(Tokenizer):
    """Word tokens at running positions, with their character offsets."""

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __hash__(self) -> int:
        return hash(self.__class__)

    def __call__(self, value: str, positions: bool = False, chars: bool = False,  # type: ignore[override]
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "", **kwargs: Any) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            token.pos = start_pos
            token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        folded = fold(value)
        for index, (start, end) in enumerate(spans(folded)):
            token.text = folded[start:end]
            if keeporiginal:
                token.original = value[start:end]
            token.boost = 1.0
            token.stopped = False
            token.pos = start_pos + index
            token.startchar, token.endchar = start_char + start, start_char + end
            yield token


def latin_stem(word: str) -> str:
    """Porter-stem plain English words; leave Chinese and numbers alone."""
    return stem(word) if _ASCII_WORD.fullmatch(word) else word


def analyzer() -> Analyzer:
    return JiebaTokenizer() | LowercaseFilter() | StemFilter(stemfn=latin_stem)


_ANALYZER = analyzer()


def terms(text: str) -> list[str]:
    """The index terms of a text, in order (for tests and highlighting)."""
    return [token.text for token in _ANALYZER(text, mode="query")]


# Highlighting --------------------------------------------------------------------

SNIPPET_CHARS = 160


def _marks(text: str, wanted: set[str]) -> list[tuple[int, int]]:
    """Character ranges of the tokens of ``text`` that are query terms."""
    found = [(token.startchar, token.endchar)
             for token in _ANALYZER(text, chars=True, mode="index") if token.text in wanted]
    return _merge(found)


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _rough_hits(text: str, wanted: set[str], limit: int = 400) -> list[tuple[int, str]]:
    """Where query terms occur in a long text, found without cutting it
    (a stem is usually a prefix of the word: garden in gardens)."""
    lowered = fold(text).lower()
    hits: list[tuple[int, str]] = []
    for term in wanted:
        start = lowered.find(term)
        while start >= 0 and len(hits) < limit:
            hits.append((start, term))
            start = lowered.find(term, start + len(term))
    return sorted(hits)


def _window(text: str, wanted: set[str], width: int) -> tuple[int, int]:
    """The stretch of ``text`` with the most different query terms."""
    hits = _rough_hits(text, wanted)
    if not hits:
        return 0, min(len(text), width)
    best_start, best_score = hits[0][0], (0, 0)
    for index, (start, _term) in enumerate(hits):
        inside = [term for position, term in hits[index:] if position < start + width - 20]
        score = (len(set(inside)), len(inside))
        if score > best_score:
            best_start, best_score = start, score
    start = max(0, best_start - 20)
    return start, min(len(text), start + width)


def highlight(text: str, wanted: set[str], width: int | None = None) -> Markup:
    """Escaped text with the query terms in <mark>: the whole text when
    ``width`` is None, else the best ``width`` characters, with ellipses."""
    text = " ".join(text.split())
    start, end = (0, len(text)) if width is None else _window(text, wanted, width)
    piece = text[start:end]
    out = [Markup("…")] if start > 0 else []
    last = 0
    for left, right in _marks(piece, wanted) if wanted else []:
        out.append(escape(piece[last:left]))
        out.append(Markup("<mark>%s</mark>") % piece[left:right])
        last = right
    out.append(escape(piece[last:]))
    if end < len(text):
        out.append(Markup("…"))
    return Markup("").join(out)
