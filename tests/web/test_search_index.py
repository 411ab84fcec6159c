"""The search index's shape and its bounds: an index written by older code
is replaced and refilled by itself, a rebuild in several processes gives
the same index, the text is not stored, and a search looks at a bounded
number of matches."""
from __future__ import annotations

from pathlib import Path

from tests.web.test_search import _drain, _organizer_call, _proposal, _stored, find
from venture.extensions import db
from venture.search import services as search
from venture.search.index import INDEX_NAME, UPGRADE_MARKER, SearchIndex, get_index
from venture.search.models import SearchQueue


def test_an_index_written_by_older_code_is_replaced_and_refilled(app):
    call = _organizer_call(app)
    proposal = _proposal(app, call, problem="萤火虫")
    folder = Path(app.config["SEARCH_INDEX_FOLDER"])
    with app.app_context():
        db.session.execute(SearchQueue.__table__.delete())  # as if indexed long ago, by older code
        db.session.commit()
    assert "venture.search" not in app.extensions and not folder.exists()
    folder.mkdir(parents=True)
    # What older code left: its own index under another name.
    from whoosh.fields import ID, Schema
    from whoosh.filedb.filestore import FileStorage

    old = FileStorage(str(folder)).create_index(Schema(doc_key=ID(stored=True)), indexname="MAIN")
    writer = old.writer()
    writer.add_document(doc_key="proposal:1")
    writer.commit()

    assert find(app, "萤火虫") == []  # the new index starts empty...
    assert (folder / UPGRADE_MARKER).exists()
    _drain(app)  # ...and the next drain indexes everything again
    assert find(app, "萤火虫") == [("proposal", proposal)]
    assert not (folder / UPGRADE_MARKER).exists()
    assert any(name.name.startswith("_MAIN_") for name in folder.iterdir())  # left for running old code
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert not [name for name in folder.iterdir() if "MAIN" in name.name]  # a rebuild removes it
    assert SearchIndex(str(folder)).older_indexes() == []
    assert any(name.name.startswith(f"_{INDEX_NAME}_") for name in folder.iterdir())


def test_only_ids_and_filter_values_are_stored_not_the_text(app):
    call = _organizer_call(app)
    _proposal(app, call, title="长者食堂", problem="社区养老服务不足")
    _drain(app)
    stored = [d for d in _stored(app) if d["doc_key"].startswith("proposal:")]
    assert stored and set(stored[0]) <= {"doc_key", "kind", "object_id", "call_id", "call_kind", "theme",
                                         "district"}
    assert "长者食堂" not in str(stored)


def test_a_rebuild_in_several_processes_gives_the_same_index(app, monkeypatch):
    call = _organizer_call(app)
    made = [_proposal(app, call, title=f"菜园 {n}", problem="社区养老", group=f"队{n}") for n in range(4)]
    with app.app_context():
        search.enqueue(db.session, "call", call)
        db.session.commit()
    _drain(app)
    before = {text: find(app, text) for text in ("菜园", '"社区养老"', "养老")}
    documents = sorted(d["doc_key"] for d in _stored(app))
    monkeypatch.setattr(search, "PARALLEL_FROM", 0)
    monkeypatch.setattr(search, "REBUILD_BATCH", 2)
    monkeypatch.setattr(search, "REBUILD_JOB_DOCS", 2)
    with app.app_context():
        assert search.rebuild(db.session, procs=2) == len(documents)
        reader_segments = get_index().index().reader()
        assert len(list(reader_segments.leaf_readers())) >= 2  # one segment per process
        reader_segments.close()
    assert sorted(d["doc_key"] for d in _stored(app)) == documents
    # The same matches; equal scores may come in another order (which
    # process indexed a document decides its place among equals).
    assert {text: sorted(find(app, text)) for text in before} == {text: sorted(found) for text, found in before.items()}
    assert len(before["菜园"]) == len(made)


def test_a_search_looks_at_a_bounded_number_of_matches(app, monkeypatch):
    """Of a word found everywhere, the best are chosen among the first
    SCAN_LIMIT matches in index order: the cost is bounded."""
    call = _organizer_call(app)
    first = [_proposal(app, call, title=f"计划 {n}", problem="菜园", group=f"队{n}") for n in range(4)]
    best = _proposal(app, call, title="菜园 菜园 菜园", problem="菜园菜园", group="队9")
    _drain(app)
    with app.test_request_context():
        assert search.search("菜园").hits[0].object_id == best
        monkeypatch.setattr(search, "MAX_MATCHES", 2)
        monkeypatch.setattr(search, "SCAN_LIMIT", 3)
        results = search.search("菜园")
        assert results.total == 2 and results.more
        assert {hit.object_id for hit in results.hits} <= set(first[:3])
        assert sum(f.count for f in results.facets["type"]) == 2
