"""The outsider's verifier against a served call: it runs with the standard
library only against a live server, checks signed checkpoints and finds a
rewrite, and names what was altered in tampered copies of the data."""
from __future__ import annotations

import base64
import copy
import hashlib
import importlib.util
import io
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from tests.verifier_builders import make_checkable_call
from venture import ROOT
from venture.audit.services import canonical
from venture.extensions import db
from venture.results.models import ResultRecord, ResultStage
from venture.review.models import PanelDraw

SCRIPT = ROOT / "tools" / "venture_verify.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("venture_verify", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


verifier = _load()


def adapter(app: Flask, overlay: dict[str, Any] | None = None) -> Callable[[str], tuple[int, bytes]]:
    """The verifier's fetch, answered by the application through its test client; ``overlay`` maps
    paths to JSON answers that replace the application's."""
    client = app.test_client()

    def fetch(url: str) -> tuple[int, bytes]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if overlay is not None and parts.path in overlay:
            answer = overlay[parts.path]
            return (404, b"{}") if answer is None else (200, json.dumps(answer).encode())
        response = client.get(path)
        return response.status_code, response.get_data()

    return fetch


def run(app: Flask, call: int, *args: str, overlay: dict[str, Any] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = verifier.main([f"http://localhost/calls/{call}", *args], fetch=adapter(app, overlay), out=out)
    return code, out.getvalue()


@pytest.fixture
def world(app):
    return make_checkable_call(app)


# A clean call ------------------------------------------------------------------------------------------

@pytest.fixture
def live_server(app) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_the_verifier_checks_a_served_call_with_nothing_but_python(app, world, live_server):
    # Isolated (-I) and without site-packages (-S): the standard library only, as an outsider has it.
    done = subprocess.run([sys.executable, "-I", "-S", str(SCRIPT), f"{live_server}/calls/{world.call}/results"],
                          capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout
    assert "MISMATCH" not in output and "ERROR" not in output, output
    for expected in ("ok            proposed: fingerprint = SHA-256 of the canonical JSON of the content",
                     "ok            final: fingerprint = SHA-256 of the canonical JSON of the content",
                     "ok            final: every review total is the weighted sum of its points",
                     "ok            final: score exact of every line", "ok            final: rank of every line",
                     "ok            final: amount of every line",
                     "ok            the final record names the proposed record's fingerprint",
                     "ok            every change since the notice is listed with the final record",
                     "(discarded): re-run from its seed and pool of 8 gives the experts chosen",
                     "seed from the secret, 2 witness value(s)", "seed derived from draw #"):
        assert expected in output, (expected, output)
    published = app.test_client().get("/api/v1/checkpoints")
    if published.status_code == 200 and published.get_json().get("checkpoints"):  # the site signs its log
        assert done.returncode == verifier.EXIT_OK, output
        assert "checkpoint signatures verify" in output
    elif published.status_code == 200:  # signed checkpoints, but none made yet
        assert done.returncode == verifier.EXIT_UNCHECKED, output
        assert "CANNOT CHECK  checkpoints: the site publishes no checkpoint yet" in output
    else:  # never passes silently as "ok"
        assert done.returncode == verifier.EXIT_UNCHECKED, output
        assert "CANNOT CHECK  checkpoints: the site publishes no signed checkpoints" in output
        assert "RESULT: everything checked matches, but not everything could be checked" in output


def test_a_call_before_its_notice_cannot_be_checked_and_says_so(app):
    early = make_checkable_call(app, finalise=False, notice=False)
    code, output = run(app, early.call, overlay={"/api/v1/checkpoints": None})
    assert code == verifier.EXIT_UNCHECKED
    assert "CANNOT CHECK  the result: the site publishes no result for this call" in output
    assert run(app, 999_999)[0] == verifier.EXIT_ERROR


# Signed checkpoints ------------------------------------------------------------------------------------

class Signer:
    """The site's checkpoints as GET /api/v1/checkpoints publishes them, signed with a test key."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self.key = Ed25519PrivateKey.generate()
        self.public = base64.b64encode(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()

    def checkpoint(self, sequence: int, head: str, time: str = "2026-12-02T08:00:00Z") -> dict[str, Any]:
        message = f"venture-checkpoint:v1:{sequence}:{head}:{time}".encode()
        return {"sequence": sequence, "head": head, "time": time, "reason": "phase",
                "signature": base64.b64encode(self.key.sign(message)).decode()}

    def document(self, checkpoints: list[dict[str, Any]]) -> dict[str, Any]:
        return {"algorithm": "Ed25519", "public_key": self.public, "checkpoints": checkpoints}


def _records(app: Flask, call: int) -> dict[str, ResultRecord]:
    with app.app_context():
        found = {r.stage.value: r for r in db.session.scalars(select(ResultRecord)
                                                              .where(ResultRecord.call_id == call))}
        db.session.expunge_all()
        return found


def test_signed_checkpoints_are_verified_and_a_rewrite_is_found(app, world, tmp_path):
    records = _records(app, world.call)
    signer = Signer()
    proposed, final = records["proposed"], records["final"]
    good = signer.document([signer.checkpoint(proposed.chain_seq, proposed.chain_head, "2026-12-01T08:00:00Z"),
                            signer.checkpoint(final.chain_seq, final.chain_head, "2026-12-02T08:00:00Z")])
    saved = tmp_path / "seen.json"
    code, output = run(app, world.call, "--save-checkpoints", str(saved), overlay={"/api/v1/checkpoints": good})
    assert code == verifier.EXIT_OK, output
    assert "all 2 checkpoint signatures verify (Ed25519" in output
    assert f"proposed record: its chain head is the signed checkpoint No. {proposed.chain_seq}" in output
    assert "RESULT: everything matches." in output
    assert json.loads(saved.read_text()) == good

    # Later, the same key signs a different head for an entry seen before: the log was rewritten.
    rewritten = signer.document([good["checkpoints"][0],
                                 signer.checkpoint(final.chain_seq, "cd" * 32, "2026-12-02T08:00:00Z")])
    code, output = run(app, world.call, "--checkpoints", str(saved), overlay={"/api/v1/checkpoints": rewritten})
    assert code == verifier.EXIT_MISMATCH
    assert "saved checkpoints against the published ones: the audit log was rewritten" in output
    assert f"final record: its chain head is the signed checkpoint No. {final.chain_seq}" in output
    # A checkpoint seen before that is no longer published.
    code, output = run(app, world.call, "--checkpoints", str(saved),
                       overlay={"/api/v1/checkpoints": signer.document(good["checkpoints"][:1])})
    assert code == verifier.EXIT_MISMATCH and "checkpoints seen before are no longer published" in output

    # A forged signature, and a key that changed.
    forged = copy.deepcopy(good)
    forged["checkpoints"][1]["head"] = "ef" * 32
    code, output = run(app, world.call, overlay={"/api/v1/checkpoints": forged})
    assert code == verifier.EXIT_MISMATCH
    assert f"published checkpoints: signatures: these checkpoints' signatures do not verify: {final.chain_seq}" \
        in output
    other = Signer()
    code, output = run(app, world.call, "--checkpoints", str(saved), overlay={
        "/api/v1/checkpoints": other.document([other.checkpoint(final.chain_seq, final.chain_head)])})
    assert code == verifier.EXIT_MISMATCH and "the site's signing key: it differs" in output


# Tampered copies -----------------------------------------------------------------------------------------

def _edit_record(app: Flask, call: int, stage: str, change: Callable[[dict[str, Any]], None],
                 refingerprint: bool = False) -> None:
    with app.app_context():
        record = db.session.scalar(select(ResultRecord).where(ResultRecord.call_id == call,
                                                              ResultRecord.stage == ResultStage(stage)))
        content = copy.deepcopy(record.content)
        change(content)
        record.content = content
        flag_modified(record, "content")
        if refingerprint:
            record.fingerprint = hashlib.sha256(canonical(content)).hexdigest()
        db.session.commit()


def _points_raised(content: dict[str, Any]) -> None:
    review = content["lines"][0]["review_scores"][0]
    review["scores"]["1"] = "0" if review["scores"]["1"] != "0" else "10"


def _amount_raised(content: dict[str, Any]) -> None:
    line = next(line for line in content["lines"] if line["outcome"] == "funded")
    line["amount_fen"] += 100_000


def _ranks_swapped(content: dict[str, Any]) -> None:
    first, second = content["lines"][0], content["lines"][1]
    first["rank"], second["rank"] = second["rank"], first["rank"]
    content["lines"][0], content["lines"][1] = second, first


def _total_raised(content: dict[str, Any]) -> None:
    line = content["lines"][-1]
    line["review_scores"][0]["total"] = "99.00"
    line["score"] = line["final"] = "99.00"


TAMPERING = {
    "an altered score": (lambda app, w: _edit_record(app, w.call, "final", _points_raised),
                         ["final: fingerprint = SHA-256 of the canonical JSON of the content",
                          "final: review totals from their points"]),
    "an altered amount": (lambda app, w: _edit_record(app, w.call, "final", _amount_raised),
                          ["final: fingerprint", "final: amount of each line"]),
    "a reordered rank": (lambda app, w: _edit_record(app, w.call, "proposed", _ranks_swapped),
                         ["proposed: fingerprint", "proposed: rank of each line"]),
    "a rewritten fingerprint": (lambda app, w: _edit_record(app, w.call, "final", _total_raised, refingerprint=True),
                                ["final: the audit entry names this record's fingerprint",
                                 "final: review totals from their points", "final: score of each line"]),
}


@pytest.mark.parametrize("kind", list(TAMPERING))
def test_a_tampered_copy_is_named(app, world, kind):
    tamper, expected = TAMPERING[kind]
    tamper(app, world)
    code, output = run(app, world.call, overlay={"/api/v1/checkpoints": None})
    assert code == verifier.EXIT_MISMATCH, output
    mismatches = [line for line in output.splitlines() if line.startswith("  MISMATCH")]
    for what in expected:
        assert any(what in line for line in mismatches), (what, mismatches)
    if kind == "a rewritten fingerprint":
        assert "ok            final: fingerprint = SHA-256 of the canonical JSON of the content" in output


def test_a_rewritten_draw_is_named(app, world):
    with app.app_context():
        ceremony = db.session.scalars(select(PanelDraw).where(PanelDraw.call_id == world.call)
                                      .order_by(PanelDraw.id)).all()[1]
        pool = [entry["expert"] for entry in ceremony.pool_snapshot]
        ceremony.chosen = [next(e for e in pool if e not in ceremony.chosen)] + list(ceremony.chosen[1:])
        ceremony.witnesses = [{**ceremony.witnesses[0], "value": "3141"}, *ceremony.witnesses[1:]]
        number = ceremony.id
        db.session.commit()
    code, output = run(app, world.call, overlay={"/api/v1/checkpoints": None})
    assert code == verifier.EXIT_MISMATCH
    for what in (f"draw #{number}: seed from the secret", f"draw #{number}: re-run from its seed",
                 f"draw #{number}: the entry records these witnesses",
                 f"draw #{number}: the entry records this seed, pool and result"):
        assert f"MISMATCH      {what}" in output, (what, output)


def test_a_proposed_record_that_disappears_is_named(app, world):
    with app.app_context():
        db.session.delete(db.session.scalar(select(ResultRecord).where(ResultRecord.call_id == world.call,
                                                                       ResultRecord.stage == ResultStage.PROPOSED)))
        db.session.commit()
    code, output = run(app, world.call, overlay={"/api/v1/checkpoints": None})
    assert code == verifier.EXIT_MISMATCH
    assert "MISMATCH      the proposed record: it is not published (it must stay public after the final one)" \
        in output


# Served by the site ----------------------------------------------------------------------------------------

def test_the_verifier_is_served_as_it_is_kept_and_linked(app, world, client):
    response = client.get("/verify/venture_verify.py")
    assert response.status_code == 200 and response.get_data() == Path(SCRIPT).read_bytes()
    assert response.mimetype == "text/x-python" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert 'filename="venture_verify.py"' in response.headers["Content-Disposition"]
    for url in (f"/calls/{world.call}/results", f"/calls/{world.call}/results?stage=proposed",
                f"/calls/{world.call}/draws"):
        assert 'href="/verify/venture_verify.py"' in client.get(url).get_data(as_text=True), url
    page = client.get(f"/calls/{world.call}/results", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"python3 venture_verify.py http://localhost/calls/{world.call}/results" in page
    assert client.get(f"/api/v1/calls/{world.call}/results").get_json()["links"]["verifier"] == \
        "http://localhost/verify/venture_verify.py"
