"""The search analyzer and query parser, without a database."""
from __future__ import annotations

import pickle

import pytest
from whoosh import query as wq

from venture.search import analysis
from venture.search.index import MAX_QUERY_CHARS, SCHEMA, clean_query, parse, positive_terms


def tokens(text, mode="index"):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in analysis.analyzer()(text, positions=True, chars=True, mode=mode)]


def test_chinese_is_cut_into_small_dictionary_words_at_running_positions():
    assert analysis.terms("社区养老服务") == ["社区", "养老", "服务"]
    assert tokens("开展社区养老服务") == [("开展", 0, 0, 2), ("社区", 1, 2, 4), ("养老", 2, 4, 6), ("服务", 3, 6, 8)]
    # A long dictionary word is split the same way wherever it appears.
    assert analysis.terms("养老院") == ["养老", "院"]
    assert analysis.terms("去养老院看望老人")[1:3] == ["养老", "院"]


def test_positions_count_words_not_characters_and_skip_punctuation():
    found = tokens("社区，养老！ 服务")
    assert [pos for _text, pos, _s, _e in found] == [0, 1, 2]
    assert [(s, e) for _text, _pos, s, e in found] == [(0, 2), (3, 5), (7, 9)]


def test_latin_words_are_lowercased_and_stemmed_numbers_kept():
    assert analysis.terms("Community Gardens, e-mail COVID-19 3.5万元 2026") == [
        "commun", "garden", "e", "mail", "covid", "19", "3.5", "万元", "2026"]
    assert analysis.terms("garden") == analysis.terms("GARDENS") == ["garden"]


def test_full_width_forms_are_folded_keeping_offsets():
    assert tokens("ＡＢＣ１２３") == [("abc123", 0, 0, 6)]


def test_punctuation_symbols_and_controls_make_no_tokens():
    assert analysis.terms("*:* ( ) \" ' \x00 \x07 ——…… 。，") == []


def test_jieba_is_initialised_once():
    assert analysis.jieba_tokenizer() is analysis.jieba_tokenizer()


def test_the_analyzer_survives_pickling_into_the_schema():
    again = pickle.loads(pickle.dumps(SCHEMA))
    assert [t.text for t in again["body"].analyzer("社区养老")] == ["社区", "养老"]


def test_highlight_escapes_text_and_marks_terms():
    html = analysis.highlight("<b>社区</b>养老 & gardens", {"养老", "garden"})
    assert str(html) == "&lt;b&gt;社区&lt;/b&gt;<mark>养老</mark> &amp; <mark>gardens</mark>"


def test_highlight_picks_the_passage_with_the_terms():
    text = "前言" * 200 + "这里讲社区养老服务" + "结尾" * 200
    html = str(analysis.highlight(text, {"养老"}, width=60))
    assert html.startswith("…") and html.endswith("…") and "<mark>养老</mark>" in html
    assert len(html) < 120
    assert str(analysis.highlight(text, set(), width=10)) == "前言" * 5 + "…"


@pytest.mark.parametrize("text", ["owner:x", "kind:proposal", "doc_key:call:1", "title:(", "group:星光",
                                  "created:[2000 TO 3000]", "菜*", "菜园^10"])
def test_field_and_wildcard_syntax_is_only_words(text):
    query = parse(text)
    fields = {fieldname for fieldname, _text in query.iter_all_terms()} if query else set()
    assert fields <= {"title", "body", "group"}
    assert not any(isinstance(q, (wq.Wildcard, wq.Prefix, wq.TermRange, wq.DateRange, wq.Every))
                   for q in (query.leaves() if query else []))


@pytest.mark.parametrize("text", ["*:*", "*", "(((", "\"", "NOT 菜园", "。，！", ""])
def test_nothing_searchable_gives_none(text):
    assert parse(clean_query(text)) is None


def test_phrases_and_operators():
    phrase = parse('"社区养老"')
    assert any(isinstance(q, wq.Phrase) and q.words == ["社区", "养老"] for q in phrase.children())
    either = parse("菜园 OR 萤火虫")
    assert isinstance(either, wq.Or)
    not_this = parse("菜园 NOT 萤火虫")
    assert positive_terms(not_this) == {"菜园"}


def test_a_chinese_word_may_spread_over_title_and_body():
    query = parse("社区花园")
    # AND of the words, each looked for in every text field.
    assert isinstance(query, wq.And)
    assert all({f for f, _ in part.iter_all_terms()} == {"title", "body", "group"} for part in query.children())


def test_queries_are_cleaned_and_cut():
    assert clean_query("a\x00b\tc\n\u202ed") == "a b c d"
    assert len(clean_query("菜" * 5000)) == MAX_QUERY_CHARS
    assert clean_query(None) == ""


def test_the_shared_searcher_sees_replaced_documents_once(tmp_path):
    """whoosh-reloaded's ``Searcher.refresh()`` keeps segments that a merge
    replaced (deleted documents come back); SearchIndex opens a new searcher
    instead. If this starts failing after an upgrade, refresh() may be fixed."""
    from venture.search.index import SearchIndex

    search_index = SearchIndex(str(tmp_path / "index"))
    for round_ in range(12):
        writer = search_index.writer(timeout=1)
        writer.update_document(doc_key="call:1", kind="call", object_id=1, call_id="1", title=f"第{round_}版")
        writer.commit()
        with search_index.searcher() as searcher:
            assert [d["doc_key"] for d in searcher.all_stored_fields()] == ["call:1"]
