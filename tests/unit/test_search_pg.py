"""The PostgreSQL search backend's translation of text and queries: the
same tokens as the Whoosh analyzer, at word positions, and phrases that
need their words side by side."""
from __future__ import annotations

import pytest

from venture.search import pg
from venture.search.index import parse


def test_the_vector_holds_the_analyzers_tokens_at_word_positions_by_field():
    vector = pg.vector_literal({"title": "社区养老服务", "body": "Gardens"})
    assert vector == "'社区':1A '养老':2A '服务':3A 'garden':8D"


def test_quotes_in_words_are_escaped():
    assert pg._quote("it's") == "'it''s'"


@pytest.mark.parametrize(("typed", "expected"), [
    ("养老", "'养老'"),
    ('"社区养老"', "('社区' <-> '养老')"),
    ("萤火虫 OR 菜园", "(('萤火' & '虫') | '菜园')"),
    ("菜园 NOT 萤火虫", "('菜园' & !('萤火' & '虫'))"),
])
def test_queries_become_tsqueries(typed, expected):
    assert pg.tsquery(parse(typed)) == expected


def test_the_backend_must_be_known_and_postgresql_needs_postgresql():
    assert pg.check_config({"SEARCH_BACKEND": "whoosh", "DATABASE_URL": "sqlite:///x"}) is None
    assert "whoosh or postgresql" in pg.check_config({"SEARCH_BACKEND": "elastic"})
    assert "needs DATABASE_URL" in pg.check_config({"SEARCH_BACKEND": "postgresql", "DATABASE_URL": "sqlite:///x"})
    assert pg.check_config({"SEARCH_BACKEND": "postgresql",
                            "DATABASE_URL": "postgresql+psycopg://db/venture"}) is None
