"""/healthz: 200 when the database answers and the search index opens, 503
with the reason otherwise (the database half is in test_errors.py)."""
from __future__ import annotations

from venture.search.index import INDEX_NAME


def test_healthz_reports_an_unreadable_search_index(app, client, tmp_path):
    assert client.get("/healthz").json == {"status": "ok", "database": "ok", "search_index": "ok"}

    broken = tmp_path / "broken-index"
    broken.mkdir()
    (broken / f"_{INDEX_NAME}_1.toc").write_bytes(b"not a whoosh table of contents")
    app.config["SEARCH_INDEX_FOLDER"] = str(broken)
    app.extensions.pop("venture.search", None)  # forget the index opened above
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["reason"] == "search_index" and response.json["search_index"] == "unavailable"
    assert response.json["database"] == "ok"

    # Repaired (here: emptied, as before `search rebuild`), it is healthy again.
    (broken / f"_{INDEX_NAME}_1.toc").unlink()
    assert client.get("/healthz").status_code == 200
