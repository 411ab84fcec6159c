"""The outsider's verifier (tools/venture_verify.py) applies the site's rules
with the standard library only. Each of its rules is checked here against
the site's own code – or, for Ed25519, against the ``cryptography`` package
and RFC 8032's test vectors – on many inputs."""
from __future__ import annotations

import hashlib
import importlib.util
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from venture import ROOT
from venture.audit.services import canonical as audit_canonical
from venture.results import aggregate, funding
from venture.results.pseudonyms import label_index, reviewer_label
from venture.review import draw as drawing
from venture.review import scoring


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("venture_verify", ROOT / "tools" / "venture_verify.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


verifier = _load()


def test_the_verifier_imports_nothing_but_the_standard_library():
    import ast
    import sys

    tree = ast.parse((ROOT / "tools" / "venture_verify.py").read_text())
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    assert names - {"__future__"} <= set(sys.stdlib_module_names), names - set(sys.stdlib_module_names)


# Ed25519 -------------------------------------------------------------------------------------------

# RFC 8032, section 7.1: TEST 1, TEST 2, TEST 3 (public key, message, signature).
RFC_8032 = [
    ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bb"
     "e24655141438e7a100b"),
    ("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302a"
     "eeb00d291612bb0c00"),
    ("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed2"
     "8dc027beceea1ec40a"),
]


@pytest.mark.parametrize(("key", "message", "signature"), RFC_8032)
def test_ed25519_accepts_the_rfc_8032_vectors(key, message, signature):
    key, message, signature = bytes.fromhex(key), bytes.fromhex(message), bytes.fromhex(signature)
    assert verifier.ed25519_verify(key, message, signature)
    assert not verifier.ed25519_verify(key, message + b"x", signature)


def _forgeries(key: bytes, message: bytes, signature: bytes, other_key: bytes) -> list[tuple[str, bytes, bytes, bytes]]:
    s = int.from_bytes(signature[32:], "little")
    return [
        ("another message", key, message + b".", signature),
        ("another key", other_key, message, signature),
        ("a bit of R flipped", key, message, bytes([signature[0] ^ 1]) + signature[1:]),
        ("a bit of S flipped", key, message, signature[:40] + bytes([signature[40] ^ 0x10]) + signature[41:]),
        ("S + L (not canonical)", key, message, signature[:32] + (s + verifier._L).to_bytes(32, "little")),
        ("all zeros", key, message, bytes(64)),
        ("too short", key, message, signature[:63]),
        ("a key too short", key[:31], message, signature),
        ("a key that is no point", b"\xff" * 32, message, signature),
        ("random bytes", key, message, random.Random(len(message)).randbytes(64)),
    ]


def test_ed25519_agrees_with_cryptography_on_many_keys_messages_and_forgeries():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    rng = random.Random(8032)
    keys = [Ed25519PrivateKey.generate() for _ in range(6)]
    raw = [k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) for k in keys]
    messages = [b"", b"venture-checkpoint:v1:1:" + b"0" * 64 + b":2026-12-02T08:00:00Z",
                "公示 第二期 检查点".encode(), rng.randbytes(1000)]
    for index, private in enumerate(keys):
        for message in messages:
            signature = private.sign(message)
            assert verifier.ed25519_verify(raw[index], message, signature)
            for name, key, text, forged in _forgeries(raw[index], message, signature, raw[index - 1]):
                try:
                    Ed25519PublicKey.from_public_bytes(key).verify(forged, text)
                    theirs = True
                except Exception:  # noqa: BLE001 - InvalidSignature, or a key/signature of the wrong size
                    theirs = False
                assert verifier.ed25519_verify(key, text, forged) is theirs is False, name


def test_a_checkpoint_message_is_the_documented_text():
    assert verifier.checkpoint_message(7, "ab" * 32, "2026-12-02T08:00:00Z") == \
        ("venture-checkpoint:v1:7:" + "ab" * 32 + ":2026-12-02T08:00:00Z").encode()


# Canonical JSON, seeds, letters ------------------------------------------------------------------------

JSON_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | JSON_TEXT,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_TEXT, inner, max_size=4),
                           max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES)
def test_canonical_json_is_the_sites(value):
    assert verifier.canonical({"v": value}) == audit_canonical({"v": value})


@settings(max_examples=100, deadline=None)
@given(secret=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
       values=st.lists(st.text(min_size=1, max_size=20).map(drawing.witness_value).filter(bool), min_size=1,
                       max_size=5),
       seq=st.integers(0, 10**9), member=st.integers(1, 10**9))
def test_seeds_are_the_sites(secret, values, seq, member):
    head = hashlib.sha256(secret.encode()).hexdigest()
    assert verifier.ceremony_seed(secret, values, seq, head) == drawing.ceremony_seed(secret, values, seq, head)
    assert verifier.replacement_seed(head, member) == drawing.replacement_seed(head, member)
    assert verifier.sha256_hex(secret.encode()) == drawing.commitment_digest(secret)


def test_reviewer_letters_order_like_the_members_they_stand_for():
    labels = [reviewer_label(i) for i in range(800)]
    assert labels[:3] == ["A", "B", "C"] and labels[25:28] == ["Z", "AA", "AB"] and len(set(labels)) == 800
    assert [verifier.letter_index(label) for label in labels] == list(range(800))
    assert [label_index(label) for label in labels] == list(range(800))


@settings(max_examples=150, deadline=None)
@given(pool=st.lists(st.tuples(st.integers(1, 500), st.sets(st.sampled_from(["finance", "law", "social_work",
                                                                                "elderly_care"]), max_size=3)),
                     max_size=25, unique_by=lambda entry: entry[0]),
       size=st.integers(1, 10), seed=st.text(alphabet="0123456789abcdef", min_size=8, max_size=64),
       minimums=st.dictionaries(st.sampled_from(["finance", "law", "social_work"]), st.integers(0, 3), max_size=3))
def test_the_draw_is_the_sites(pool, size, seed, minimums):
    minimums = {area: min(n, size) for area, n in minimums.items()}
    candidates = [drawing.Candidate(e, tuple(sorted(a))) for e, a in pool]
    theirs = drawing.draw_panel(seed, candidates, size, minimums)
    chosen, shortfalls = verifier.draw_panel(seed, drawing.snapshot(candidates), size, minimums)
    assert chosen == list(theirs.chosen) and shortfalls == theirs.shortfalls


def test_locate_finds_the_site_and_the_call_in_any_public_address():
    for url in ("https://example.org/calls/12", "https://example.org/calls/12/results?stage=proposed",
                "https://example.org/api/v1/calls/12/results", "https://example.org/calls/12/draws"):
        assert verifier.locate(url) == ("https://example.org", 12), url
    assert verifier.locate("http://127.0.0.1:5000/venture/calls/3") == ("http://127.0.0.1:5000/venture", 3)
    for wrong in ("example.org/calls/12", "https://example.org/proposals/4"):
        with pytest.raises(verifier.ReadError):
            verifier.locate(wrong)
    with pytest.raises(verifier.ReadError):
        verifier.http_fetch("file:///etc/passwd")


# The result --------------------------------------------------------------------------------------------

CRITERIA = [{"position": 1, "name": "需求", "weight": 30, "max_points": "7.00"},
            {"position": 2, "name": "可行性", "weight": 45, "max_points": "10.00"},
            {"position": 3, "name": "参与", "weight": 25, "max_points": "6.50"}]


class _Criterion:
    def __init__(self, spec):
        self.id = spec["position"] * 10
        self.name = spec["name"]
        self.weight = spec["weight"]
        self.max_points = Decimal(spec["max_points"])


def _points(rng, spec):
    return str(Decimal(rng.randint(0, int(Decimal(spec["max_points"]) * 2))) / 2)


@pytest.mark.parametrize("case", range(60))
def test_scores_ranks_and_the_funding_line_are_the_sites(case):
    """Random reviews, methods, components and adjustments: the verifier, reading only what a record
    publishes, gets exactly what venture.results computed."""
    rng = random.Random(case)
    name = rng.choice(["mean", "trimmed"])
    normalise = rng.random() < 0.6
    weight = rng.choice([Decimal(0), Decimal(0), Decimal("0.30"), Decimal("0.70")])
    method = aggregate.Method(name, normalise, weight)
    criteria = [_Criterion(c) for c in CRITERIA]
    proposals = list(range(1, rng.randint(1, 9) + 1))
    reviewers = list(range(100, 100 + rng.randint(1, 8)))
    required = rng.randint(1, 6)
    reviews = []
    for proposal in proposals:
        for reviewer in rng.sample(reviewers, rng.randint(0, len(reviewers))):
            points = {c["position"]: _points(rng, c) for c in CRITERIA}
            total = scoring.total(criteria, {str(c.id): points[c.id // 10] for c in criteria})
            reviews.append(aggregate.ReviewScore(reviewer, proposal, total,
                                                 {p: Decimal(v) for p, v in points.items()}))
    components = {p: Decimal(rng.randint(0, 10000)) / 100 for p in proposals if rng.random() < 0.85}
    scores = aggregate.aggregate(proposals, reviews, method, required, components)
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    submitted = {p: start + timedelta(minutes=rng.choice([0, 1, 1, 2])) for p in proposals}
    requests = {p: rng.choice([200_000, 500_000, 1_000_000]) for p in proposals}
    adjustments = {}
    for p in proposals:
        if rng.random() < 0.2:
            adjustments[p] = funding.Adjustment(set_aside=True, reason="重复")
        elif rng.random() < 0.2:
            adjustments[p] = funding.Adjustment(amount_fen=requests[p] // 2, reason="核减")
    budget, minimum = rng.choice([1_000_000, 2_500_000, 10_000_000]), Decimal(rng.choice([0, 40, 60]))
    tie = rng.choice([None, 2])
    entries = [funding.Entry(p, scores[p].final, scores[p].criteria_means.get(tie) if tie else None, submitted[p],
                             requests[p]) for p in proposals]
    lines = funding.funding_line(entries, budget, minimum, adjustments)
    letters = {r: reviewer_label(i) for i, r in enumerate(reviewers)}

    def fmt(value):
        return None if value is None else format(aggregate.rounded(value), "f")

    content = {
        "method": {"name": name, "trim_from": aggregate.TRIM_FROM,
                   "trim_each_side": aggregate.TRIM_EACH_SIDE, "normalise": normalise,
                   "component_weight": fmt(weight), "minimum_score": fmt(minimum), "budget_fen": budget,
                   "reviewers_per_proposal": required, "tie_criterion": {"position": tie} if tie else None},
        "criteria": CRITERIA,
        "totals": {"budget_fen": budget},
        "lines": [{
            "proposal": line.proposal, "request_fen": line.request_fen,
            "first_submitted_at": submitted[line.proposal].isoformat(),
            "component": fmt(scores[line.proposal].component),
            "adjustment": None if line.proposal not in adjustments else {
                "amount_fen": adjustments[line.proposal].amount_fen, "set_aside": adjustments[line.proposal].set_aside},
            "review_scores": [{"reviewer": letters[r.reviewer],
                               "scores": {str(k): scoring.plain(v) for k, v in r.criteria.items()},
                               "total": fmt(r.total)} for r in reviews if r.proposal == line.proposal],
        } for line in lines],
    }
    for line in content["lines"]:
        for review in line["review_scores"]:
            assert verifier.review_total(CRITERIA, review["scores"]) == Decimal(review["total"])
    mine = verifier.recompute_scores(content)
    for proposal, score in scores.items():
        got = mine[proposal]
        assert got["score"] == fmt(score.proposal_score) and got["final"] == fmt(score.final)
        assert got["score_exact"] == (None if score.exact is None else repr(score.exact))
        assert got["criteria_means"] == {str(k): fmt(v) for k, v in score.criteria_means.items()}
        assert got["notes"] == list(score.notes) and got["missing"] == score.missing
        assert got["used"] == {verifier.letter_index(letters[u.reviewer]): (repr(u.value), u.dropped)
                               for u in score.reviews}
    finals = {p: Decimal(mine[p]["final"]) if mine[p]["final"] is not None else None for p in proposals}
    ties = {p: Decimal(mine[p]["criteria_means"][str(tie)]) if tie and str(tie) in mine[p]["criteria_means"]
            else None for p in proposals}
    computed = verifier.funding_line(content, finals, ties)
    assert [(c["proposal"], c["rank"], c["outcome"], c["amount_fen"]) for c in computed] == \
        [(line.proposal, line.rank, line.outcome.value, line.amount_fen) for line in lines]


def test_the_published_words_are_the_documented_ones():
    """The reasons a review is not counted and the screening categories: the code, the public labels
    and the OpenAPI document name the same set."""
    from venture.api.openapi import SCHEMAS
    from venture.results import public, services
    from venture.screening.services import CATEGORIES, NOT_RECORDED

    reasons = SCHEMAS["ReviewNotCounted"]["properties"]["reason"]["enum"]
    assert set(services.NOT_COUNTED) == set(public.NOT_COUNTED_LABELS) == set(reasons)
    categories = SCHEMAS["ScreeningOutcome"]["properties"]["category"]["enum"]
    assert set(categories) == {*CATEGORIES, NOT_RECORDED}
    assert set(SCHEMAS["ResultMethod"]["properties"]) == set(public.METHOD_FIELDS)
    assert set(SCHEMAS["ResultLine"]["properties"]) == set(public.LINE_FIELDS)
    assert set(SCHEMAS["ReviewScore"]["properties"]) == set(public.REVIEW_FIELDS)
