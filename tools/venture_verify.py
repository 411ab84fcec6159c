#!/usr/bin/env python3
"""Check a Venture call's published result from outside, with nothing but Python.

Usage:

    python3 venture_verify.py https://example.org/calls/12
    python3 venture_verify.py https://example.org/calls/12/results --save-checkpoints seen.json
    python3 venture_verify.py https://example.org/calls/12 --checkpoints seen.json

The script downloads the call's public data from the site's open data API
(``/api/v1``) and, from that data alone:

- recomputes each counted review's weighted total from its points,
- recomputes every proposal's score (mean or trimmed mean, normalised per
  reviewer when the call says so, composite when it has a component), the
  per-criterion means, the notes, the ranking with its ties, the funding line
  (outcomes and amounts) and the totals, for both the proposed result of the
  public notice and the final result,
- recomputes both records' fingerprints and the audit-log entries that sealed
  them, and checks that the final record names the proposed one and lists
  every change made since,
- re-runs every panel draw (discarded ones too) from its seed and pool, and
  recomputes each seed from its inputs: the revealed commitment, the
  witnesses' values and the audit log's head, or the draw it replaced,
- checks the Ed25519 signatures of the site's checkpoints of the audit log,
  and, given a file of checkpoints saved earlier, that none was rewritten.

It prints one line per check and ends with a summary. Exit status: 0 when
everything checked matches, 1 when something does not, 2 when nothing is
wrong but something could not be checked (for example, the site publishes no
checkpoints), 3 when the data could not be read at all.

Every rule applied here is written down in the project's docs/REVIEW.md, so
that the same checks can be written in any language. Standard library only,
Python 3.11 or later; one file, served by every Venture site at
``/verify/venture_verify.py``.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import math
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TextIO

VERSION = "1.0"
EXIT_OK, EXIT_MISMATCH, EXIT_UNCHECKED, EXIT_ERROR = 0, 1, 2, 3
TWO_PLACES = Decimal("0.01")
GENESIS = "0" * 64

Fetch = Callable[[str], tuple[int, bytes]]


# Reading the site ------------------------------------------------------------------------------

class ReadError(Exception):
    """The data could not be read: the site is unreachable, or answered something that is not the API."""


def http_fetch(url: str) -> tuple[int, bytes]:
    """GET ``url``: (status, body). Only http and https."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ReadError(f"not an http(s) address: {url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": f"venture-verify/{VERSION}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - http(s) checked above
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError) as error:
        raise ReadError(f"cannot reach {url}: {error}") from None


def locate(url: str) -> tuple[str, int]:
    """The site's base address and the call's id, from any of the call's public addresses."""
    parts = urllib.parse.urlsplit(url.strip())
    found = re.search(r"/calls/(\d+)", parts.path)
    if not parts.scheme or not parts.netloc or found is None:
        raise ReadError(f"not the address of a call (…/calls/<number>…): {url}")
    prefix = parts.path[:found.start()]
    if prefix.endswith("/api/v1"):
        prefix = prefix[:-len("/api/v1")]
    return f"{parts.scheme}://{parts.netloc}{prefix}", int(found.group(1))


class Site:
    def __init__(self, base: str, fetch: Fetch) -> None:
        self.base = base.rstrip("/")
        self.fetch = fetch

    def get(self, path: str) -> Any:
        """The JSON at ``/api/v1`` + ``path``, or None when the site answers 404."""
        url = f"{self.base}/api/v1{path}"
        status, body = self.fetch(url)
        if status == 404:
            return None
        if status != 200:
            raise ReadError(f"{url} answered {status}")
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ReadError(f"{url} did not answer JSON: {error}") from None


# Reporting -------------------------------------------------------------------------------------

class Report:
    """One line per check; counts of what matched, what did not and what could not be checked."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.matched = 0
        self.mismatched: list[str] = []
        self.unchecked: list[str] = []

    def section(self, title: str) -> None:
        print(f"\n== {title}", file=self.out)

    def ok(self, what: str) -> None:
        self.matched += 1
        print(f"  ok            {what}", file=self.out)

    def bad(self, what: str, detail: str) -> None:
        self.mismatched.append(what)
        print(f"  MISMATCH      {what}: {detail}", file=self.out)

    def cannot(self, what: str, why: str) -> None:
        self.unchecked.append(what)
        print(f"  CANNOT CHECK  {what}: {why}", file=self.out)

    def note(self, text: str) -> None:
        print(f"  note          {text}", file=self.out)

    def same(self, what: str, computed: Any, published: Any) -> bool:
        if computed == published:
            self.ok(what)
            return True
        self.bad(what, f"recomputed {_show(computed)}, published {_show(published)}")
        return False

    def summary(self) -> int:
        print(f"\n{self.matched} checks match, {len(self.mismatched)} do not, "
              f"{len(self.unchecked)} could not be checked.", file=self.out)
        if self.mismatched:
            print("RESULT: MISMATCH – the published data does not hold together:", file=self.out)
            for what in self.mismatched:
                print(f"  - {what}", file=self.out)
            return EXIT_MISMATCH
        if self.unchecked:
            print("RESULT: everything checked matches, but not everything could be checked:", file=self.out)
            for what in self.unchecked:
                print(f"  - {what}", file=self.out)
            return EXIT_UNCHECKED
        print("RESULT: everything matches.", file=self.out)
        return EXIT_OK


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 160 else text[:157] + "…"


# Canonical JSON and fingerprints ---------------------------------------------------------------

def canonical(value: Any) -> bytes:
    """Keys sorted, no spaces, UTF-8 with no escapes beyond JSON's own (docs/REVIEW.md)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_hash(prev_hash: str, payload: Any) -> str:
    """An audit-log entry's hash: SHA-256 of the previous entry's hash (ASCII hex) followed by the payload."""
    return sha256_hex(prev_hash.encode("ascii") + canonical(payload))


# Ed25519 verification (RFC 8032, section 5.1.7), in pure Python --------------------------------

_P = 2 ** 255 - 19
_L = 2 ** 252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


_Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, x*y = T/Z


def _add(p: _Point, q: _Point) -> _Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar: int, point: _Point) -> _Point:
    result: _Point = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _encode(point: _Point) -> bytes:
    z_inv = pow(point[2], _P - 2, _P)
    x, y = point[0] * z_inv % _P, point[1] * z_inv % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _decode(data: bytes) -> _Point | None:
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % _P)


_BASE_Y = 4 * pow(5, _P - 2, _P) % _P
_BASE: _Point = (_recover_x(_BASE_Y, 0) or 0, _BASE_Y, 1, (_recover_x(_BASE_Y, 0) or 0) * _BASE_Y % _P)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``.
    The check is [S]B − [k]A encoded equals R, with S below the group order (as OpenSSL does)."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _decode(public_key)
    if a is None:
        return False
    r_bytes, s = signature[:32], int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(r_bytes + public_key + message).digest(), "little") % _L
    ka = _multiply(k, a)
    minus_ka: _Point = ((-ka[0]) % _P, ka[1], ka[2], (-ka[3]) % _P)
    return _encode(_add(_multiply(s, _BASE), minus_ka)) == r_bytes


def checkpoint_message(sequence: int, head: str, time: str) -> bytes:
    return f"venture-checkpoint:v1:{sequence}:{head}:{time}".encode()


# Numbers ---------------------------------------------------------------------------------------

def rounded(value: Decimal | float) -> Decimal:
    """Half up to two places, from the number's shortest text (as the site does)."""
    return Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def two_places(value: Decimal | None) -> str | None:
    return None if value is None else format(rounded(value), "f")


def exact(value: float | None) -> str | None:
    return None if value is None else repr(float(value))


def decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _spread(values: Sequence[float]) -> float:
    mean = _mean(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def letter_index(label: str) -> int:
    """Reviewer "A" -> 0, "Z" -> 25, "AA" -> 26: the order of the panel members the letters stand for."""
    index = 0
    for letter in label:
        index = index * 26 + (ord(letter) - ord("A")) + 1
    return index - 1


def review_total(criteria: Sequence[Mapping[str, Any]], scores: Mapping[str, Any]) -> Decimal:
    """Σ weight × points / maximum over the rubric, half up to two places; a missing score counts zero."""
    total = Decimal(0)
    for criterion in criteria:
        value = scores.get(str(criterion["position"]))
        if value is None or value == "":
            continue
        total += Decimal(int(criterion["weight"])) * Decimal(str(value)) / Decimal(str(criterion["max_points"]))
    return total.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


# Recomputing a result --------------------------------------------------------------------------

def normalised(reviews: Sequence[tuple[int, int, float]]) -> dict[tuple[int, int], float]:
    """(reviewer, proposal) -> the total moved onto the panel's scale (docs/REVIEW.md, "Normalisation")."""
    if not reviews:
        return {}
    everything = [total for _r, _p, total in reviews]
    panel_mean, panel_spread = _mean(everything), _spread(everything)
    by_reviewer: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for reviewer, proposal, total in reviews:
        by_reviewer[reviewer].append((proposal, total))
    out = {}
    for reviewer, own in by_reviewer.items():
        totals = [total for _p, total in own]
        mean, spread = _mean(totals), _spread(totals)
        for proposal, raw in own:
            if len(own) == 1:
                value = raw
            elif spread == 0:
                value = raw - mean + panel_mean
            else:
                value = panel_mean + panel_spread * (raw - mean) / spread
            out[(reviewer, proposal)] = min(100.0, max(0.0, value))
    return out


def recompute_scores(content: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """Proposal id -> what the record's own reviews give: every field of its line that depends on them."""
    method = content.get("method") or {}
    required = int(method.get("reviewers_per_proposal") or 0)
    # Records older than these two fields used the values they now publish.
    trim_from = int(method["trim_from"]) if method.get("trim_from") is not None else 5
    each_side = int(method["trim_each_side"]) if method.get("trim_each_side") is not None else 1
    weight = decimal(method.get("component_weight")) or Decimal(0)
    lines = content.get("lines") or []
    reviews = [(letter_index(r["reviewer"]), line["proposal"], float(Decimal(str(r["total"]))))
               for line in lines for r in line.get("review_scores") or []]
    adjusted = normalised(reviews) if method.get("normalise") else {}
    out = {}
    for line in lines:
        proposal = line["proposal"]
        own = sorted(((letter_index(r["reviewer"]), Decimal(str(r["total"])), r)
                      for r in line.get("review_scores") or []), key=lambda item: (item[1], item[0]))
        used = [(reviewer, adjusted.get((reviewer, proposal), float(total))) for reviewer, total, _r in own]
        notes = []
        dropped: set[int] = set()
        if method.get("name") == "trimmed" and len(used) >= trim_from:
            ordered = sorted(used, key=lambda pair: (pair[1], pair[0]))
            dropped = {reviewer for reviewer, _value in ordered[:each_side] + ordered[len(ordered) - each_side:]}
            notes.append("trimmed")
        kept = [value for reviewer, value in used if reviewer not in dropped]
        mean = _mean(kept) if kept else None
        score = rounded(mean) if mean is not None else None
        if not own:
            notes.append("no_reviews")
        if len(own) < required:
            notes.append("incomplete")
        component = decimal(line.get("component"))
        final = score
        if weight and score is not None:
            if component is None:
                final = None
                notes.append("no_component")
            else:
                final = rounded(weight * component + (1 - weight) * score)
        criteria: dict[str, list[Decimal]] = defaultdict(list)
        for _reviewer, _total, review in own:
            for position, value in (review.get("scores") or {}).items():
                criteria[str(position)].append(Decimal(str(value)))
        out[proposal] = {
            "score": two_places(score), "final": two_places(final), "score_exact": exact(mean),
            "criteria_means": {position: two_places(sum(values) / len(values))
                               for position, values in sorted(criteria.items(), key=lambda kv: int(kv[0]))},
            "reviews": len(own), "missing": max(0, required - len(own)), "notes": notes,
            "used": {reviewer: (exact(value), reviewer in dropped) for reviewer, value in used},
        }
    return out


def ranking_key(line: Mapping[str, Any], score: Decimal | None, tie: Decimal | None) -> tuple[Any, ...]:
    return (0 if score is not None else 1, -(score or Decimal(0)), -(tie or Decimal(0)),
            datetime.fromisoformat(str(line["first_submitted_at"])), int(line["proposal"]))


def funding_line(content: Mapping[str, Any], finals: Mapping[int, Decimal | None],
                 ties: Mapping[int, Decimal | None]) -> list[dict[str, Any]]:
    """The ranking and the funding line from the record's scores, budget, minimum and adjustments."""
    method = content.get("method") or {}
    budget = int(method.get("budget_fen") if method.get("budget_fen") is not None
                 else (content.get("totals") or {}).get("budget_fen") or 0)
    minimum = decimal(method.get("minimum_score")) or Decimal(0)
    lines = content.get("lines") or []
    ordered = sorted(lines, key=lambda line: ranking_key(line, finals[line["proposal"]], ties[line["proposal"]]))
    remaining = budget
    out = []
    for rank, line in enumerate(ordered, start=1):
        score = finals[line["proposal"]]
        adjustment = line.get("adjustment") or None
        amount = int(line["request_fen"])
        if adjustment and not adjustment.get("set_aside") and adjustment.get("amount_fen") is not None:
            amount = int(adjustment["amount_fen"])
        if score is None:
            outcome = "no_score"
        elif score < minimum:
            outcome = "below_minimum"
        elif adjustment and adjustment.get("set_aside"):
            outcome = "set_aside"
        elif amount > remaining:
            outcome = "does_not_fit"
        else:
            outcome = "funded"
            remaining -= amount
        out.append({"proposal": line["proposal"], "rank": rank, "outcome": outcome,
                    "amount_fen": amount if outcome == "funded" else 0})
    return out


def check_call_rules(report: Report, call: Mapping[str, Any], content: Mapping[str, Any], stage: str) -> None:
    """The record's method and rubric are the ones the call published before anyone applied."""
    method, published = content.get("method") or {}, call.get("method") or {}
    pairs = [("method", method.get("name"), published.get("name")),
             ("normalisation", bool(method.get("normalise")), bool(published.get("normalise"))),
             ("component weight", decimal(method.get("component_weight")) or Decimal(0),
              decimal(published.get("component_weight")) or Decimal(0)),
             ("minimum score", decimal(method.get("minimum_score")), decimal(published.get("minimum_score"))),
             ("reviewers per proposal", method.get("reviewers_per_proposal"), published.get("reviewers_per_proposal")),
             ("budget", method.get("budget_fen"), (call.get("budget") or {}).get("total_fen")),
             ("tie-break criterion", (method.get("tie_criterion") or {}).get("position"),
              (published.get("tie_criterion") or {}).get("position"))]
    for what, recorded, rule in pairs:
        report.same(f"{stage}: {what} as the call published it", recorded, rule)
    rubric = [(c.get("position"), c.get("weight"), decimal(c.get("max_points"))) for c in content.get("criteria") or []]
    rules = [(c.get("position"), c.get("weight"), decimal(c.get("max_points"))) for c in call.get("criteria") or []]
    report.same(f"{stage}: rubric (weights and maxima) as the call published it", rubric, rules)


def check_record(report: Report, call: Mapping[str, Any], record: Mapping[str, Any]) -> None:
    """Everything one record says, recomputed from what it holds."""
    stage = str(record.get("stage"))
    content = record.get("content") or {}
    report.same(f"{stage}: fingerprint = SHA-256 of the canonical JSON of the content",
                sha256_hex(canonical(content)), record.get("fingerprint"))
    check_seal(report, stage, record)
    check_call_rules(report, call, content, stage)
    lines = content.get("lines") or []
    criteria = content.get("criteria") or []
    have_reviews = bool(lines) and all("review_scores" in line for line in lines)
    if not have_reviews:
        report.cannot(f"{stage}: scores", "this record was frozen before each review's points were published "
                                          "(its format is older); only the ranking and the funding line are checked")
    bad_totals = []
    for line in lines:
        for review in line.get("review_scores") or []:
            if review_total(criteria, review.get("scores") or {}) != decimal(review.get("total")):
                bad_totals.append(f"{line.get('number')} reviewer {review.get('reviewer')}")
    if have_reviews:
        if bad_totals:
            report.bad(f"{stage}: review totals from their points",
                       "these totals are not the weighted sum of their points: " + ", ".join(bad_totals))
        else:
            report.ok(f"{stage}: every review total is the weighted sum of its points "
                      f"({sum(len(line.get('review_scores') or []) for line in lines)} reviews)")
    recomputed = recompute_scores(content) if have_reviews else {}
    finals: dict[int, Decimal | None] = {}
    ties: dict[int, Decimal | None] = {}
    tie = (content.get("method") or {}).get("tie_criterion") or {}
    wrong: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        number = str(line.get("number"))
        mine = recomputed.get(line["proposal"])
        if mine is not None:
            for key in ("score", "final", "score_exact", "criteria_means", "reviews", "missing", "notes"):
                if mine[key] != line.get(key):
                    wrong[key].append(f"{number} (recomputed {_show(mine[key])}, published {_show(line.get(key))})")
            for review in line.get("review_scores") or []:
                used = mine["used"].get(letter_index(review["reviewer"]))
                if used != (review.get("used"), bool(review.get("dropped"))):
                    wrong["review used or left out"].append(f"{number} reviewer {review['reviewer']}")
        final = decimal(line.get("final") if line.get("final") is not None else line.get("score"))
        finals[line["proposal"]] = decimal(mine["final"]) if mine is not None else final
        means = (mine or line).get("criteria_means") or {}
        ties[line["proposal"]] = decimal(means.get(str(tie.get("position")))) if tie.get("position") else None
    if have_reviews:
        for key in ("score", "final", "score_exact", "criteria_means", "reviews", "missing", "notes",
                    "review used or left out"):
            if wrong.get(key):
                report.bad(f"{stage}: {key.replace('_', ' ')} of each line", "; ".join(wrong[key][:20]))
            else:
                report.ok(f"{stage}: {key.replace('_', ' ')} of every line")
    if not all(line.get("first_submitted_at") for line in lines):
        report.cannot(f"{stage}: ranking and funding line", "the first submission times (the tie-break) are not "
                                                            "published in this record")
        return
    computed = funding_line(content, finals, ties)
    by_proposal = {item["proposal"]: item for item in computed}
    for key, what in (("rank", "rank"), ("outcome", "outcome"), ("amount_fen", "amount")):
        off = [f"{line.get('number')} (recomputed {by_proposal[line['proposal']][key]}, published {line.get(key)})"
               for line in lines if by_proposal[line["proposal"]][key] != line.get(key)]
        if off:
            report.bad(f"{stage}: {what} of each line", "; ".join(off[:20]))
        else:
            report.ok(f"{stage}: {what} of every line")
    report.same(f"{stage}: lines listed in rank order", [line.get("rank") for line in lines],
                list(range(1, len(lines) + 1)))
    totals = content.get("totals") or {}
    funded = [item for item in computed if item["outcome"] == "funded"]
    report.same(f"{stage}: totals (funded, amount, budget, proposals)",
                [len(funded), sum(item["amount_fen"] for item in funded),
                 (content.get("method") or {}).get("budget_fen", totals.get("budget_fen")), len(lines)],
                [totals.get("funded"), totals.get("amount_fen"), totals.get("budget_fen"), totals.get("proposals")])


def check_seal(report: Report, stage: str, record: Mapping[str, Any]) -> None:
    """The audit entry whose hash the record keeps as its chain head, and that it names the fingerprint."""
    entry = record.get("audit_entry")
    if not entry:
        report.cannot(f"{stage}: audit entry", "the site publishes no audit entry for this record")
        return
    payload = entry.get("payload") or {}
    report.same(f"{stage}: audit entry hash = SHA-256(previous hash + canonical payload)",
                entry_hash(str(entry.get("prev_hash")), payload), entry.get("entry_hash"))
    report.same(f"{stage}: the record's chain head is that entry's hash",
                [record.get("chain_seq"), record.get("chain_head")], [payload.get("seq"), entry.get("entry_hash")])
    report.same(f"{stage}: the audit entry names this record's fingerprint",
                (payload.get("data") or {}).get("fingerprint"), record.get("fingerprint"))


def changes_between(proposed: Mapping[str, Any], final: Mapping[str, Any]) -> list[list[Any]]:
    before = {line["proposal"]: line for line in proposed.get("lines") or []}
    found = []
    for line in final.get("lines") or []:
        old = before.get(line["proposal"])
        if old is None:
            continue
        for what, key in (("rank", "rank"), ("amount", "amount_fen"), ("outcome", "outcome")):
            if old.get(key) != line.get(key):
                found.append([line["proposal"], what, old.get(key), line.get(key)])
    return found


def check_records(report: Report, site: Site, call_id: int, call: Mapping[str, Any]) -> dict[str, Any]:
    report.section("The result")
    current = site.get(f"/calls/{call_id}/results")
    if current is None:
        report.cannot("the result", "the site publishes no result for this call (its public notice has not "
                                    "opened, or there is no such call)")
        return {}
    records = {}
    for stage in ("proposed", "final"):
        record = site.get(f"/calls/{call_id}/results/{stage}")
        if record is None:
            if stage == "proposed":
                report.bad("the proposed record", "it is not published (it must stay public after the final one)")
            elif current.get("stage") == "final":
                report.bad("the final record", "the result says it is final, but its record is not published")
            else:
                report.note("no final record yet: the result is still under public notice")
            continue
        records[stage] = record
        report.section(f"The {stage} record (fingerprint {record.get('fingerprint')})")
        check_record(report, call, record)
    report.section("Both records together")
    shown = records.get(str(current.get("stage")))
    report.same("the result page shows the latest record", (current.get("record") or {}).get("fingerprint"),
                shown.get("fingerprint") if shown else None)
    if "proposed" in records and "final" in records:
        proposed, final = records["proposed"], records["final"]
        report.same("the final record names the proposed record's fingerprint",
                    (final.get("content") or {}).get("proposed_fingerprint"), proposed.get("fingerprint"))
        changes = [[c.get("proposal"), c.get("what"), c.get("before"), c.get("after")]
                   for c in (final.get("content") or {}).get("changes") or []]
        report.same("every change since the notice is listed with the final record",
                    changes_between(proposed.get("content") or {}, final.get("content") or {}), changes)
    return records


# Panel draws -----------------------------------------------------------------------------------

def draw_key(seed: str, expert: int) -> str:
    return sha256_hex(f"{seed}:{expert}".encode())


def draw_panel(seed: str, pool: Sequence[Mapping[str, Any]], size: int,
               minimums: Mapping[str, int]) -> tuple[list[int], dict[str, int]]:
    """The draw (docs/REVIEW.md, "Panel draw"): the experts chosen, in order, and the shortfalls."""
    candidates = [(int(e["expert"]), set(e.get("areas") or [])) for e in pool]
    order = sorted(candidates, key=lambda c: (draw_key(seed, c[0]), c[0]))
    chosen: list[tuple[int, set[str]]] = []
    taken: set[int] = set()
    for area in sorted(minimums):
        have = sum(1 for _e, areas in chosen if area in areas)
        for expert, areas in order:
            if have >= minimums[area] or len(chosen) >= size:
                break
            if expert not in taken and area in areas:
                chosen.append((expert, areas))
                taken.add(expert)
                have += 1
    for expert, areas in order:
        if len(chosen) >= size:
            break
        if expert not in taken:
            chosen.append((expert, areas))
            taken.add(expert)
    shortfalls = {}
    for area in sorted(minimums):
        missing = minimums[area] - sum(1 for _e, areas in chosen if area in areas)
        if missing > 0:
            shortfalls[area] = missing
    return [expert for expert, _areas in chosen], shortfalls


def ceremony_seed(secret: str, values: Sequence[str], chain_seq: int, chain_head: str) -> str:
    return sha256_hex(canonical({"chain_head": chain_head, "chain_seq": int(chain_seq), "secret": secret,
                                 "witness_values": list(values)}))


def replacement_seed(parent_seed: str, member: int) -> str:
    return sha256_hex(canonical({"parent_seed": parent_seed, "replaces_member": int(member)}))


def check_entry(report: Report, what: str, entry: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not entry:
        report.cannot(what, "no audit entry is published")
        return None
    payload = entry.get("payload") or {}
    if report.same(f"{what}: hash = SHA-256(previous hash + canonical payload)",
                   entry_hash(str(entry.get("prev_hash")), payload), entry.get("entry_hash")):
        return payload
    return None


def check_draws(report: Report, site: Site, call_id: int) -> list[dict[str, Any]]:
    report.section("Panel draws")
    listed = site.get(f"/calls/{call_id}/draws")
    if listed is None:
        report.cannot("panel draws", "the site publishes no draws for this call")
        return []
    draws = listed.get("draws") or []
    by_number = {d.get("number"): d for d in draws}
    for commitment in listed.get("commitments") or []:
        if commitment.get("secret"):
            report.same(f"commitment {commitment.get('digest', '')[:12]}…: SHA-256 of the revealed secret",
                        sha256_hex(str(commitment["secret"]).encode()), commitment.get("digest"))
        elif commitment.get("used"):
            report.bad(f"commitment {commitment.get('digest', '')[:12]}…", "used by a draw, but its secret is not "
                                                                         "revealed")
    if not draws:
        report.note("no draw was made for this call (its panel was added by hand)")
    for item in draws:
        name = f"draw #{item.get('number')}" + (" (discarded)" if item.get("discarded") else "")
        method = item.get("method")
        if method == "ceremony":
            commitment = item.get("commitment") or {}
            values = [str(w.get("value", "")) for w in item.get("witnesses") or []]
            report.same(f"{name}: the revealed secret matches its commitment",
                        sha256_hex(str(commitment.get("secret", "")).encode()), commitment.get("digest"))
            if not values:
                report.bad(f"{name}: witnesses", "no witness value is recorded")
            report.same(f"{name}: seed from the secret, {len(values)} witness value(s) and audit entry "
                        f"No. {item.get('chain_seq')}",
                        ceremony_seed(str(commitment.get("secret", "")), values, int(item.get("chain_seq") or 0),
                                      str(item.get("chain_head") or "")), item.get("seed"))
            payload = check_entry(report, f"{name}: audit entry", item.get("audit_entry"))
            if payload is not None:
                data = payload.get("data") or {}
                entry = item.get("audit_entry") or {}
                report.same(f"{name}: the entry is this draw's", [payload.get("action"), payload.get("object")],
                            ["panel.drawn", ["panel_draws", item.get("number")]])
                report.same(f"{name}: the entry comes right after the chain head the seed used",
                            entry.get("prev_hash"), item.get("chain_head"))
                report.same(f"{name}: the entry records this seed, pool and result",
                            [data.get("seed"), data.get("pool"), data.get("chosen"), data.get("secret")],
                            [item.get("seed"), item.get("pool"), item.get("chosen"), commitment.get("secret")])
                report.same(f"{name}: the entry records these witnesses",
                            [[w.get("name_sha256"), w.get("role"), w.get("value")]
                             for w in data.get("witnesses") or []],
                            [[sha256_hex(str(w.get("name", "")).encode()), w.get("role"), w.get("value")]
                             for w in item.get("witnesses") or []])
                committed = check_entry(report, f"{name}: commitment's audit entry", commitment.get("audit_entry"))
                if committed is not None:
                    report.same(f"{name}: the commitment was recorded before the draw",
                                [(committed.get("data") or {}).get("digest"),
                                 int(committed.get("seq") or 0) < int(payload.get("seq") or 0)],
                                [commitment.get("digest"), True])
                    item["_committed_seq"] = committed.get("seq")
                    item["_entry_seq"] = payload.get("seq")
        elif method == "replacement":
            parent = by_number.get(item.get("parent_draw"))
            if parent is None or item.get("replaces_member") is None:
                report.bad(f"{name}: seed", "the draw it replaces a member of is not listed")
            else:
                report.same(f"{name}: seed derived from draw #{parent.get('number')}",
                            replacement_seed(str(parent.get("seed")), int(item["replaces_member"])), item.get("seed"))
        else:
            report.cannot(f"{name}: seed", "chosen by the server alone (a draw made before draws had a commitment "
                                           "and witnesses): it is re-run below, but where its seed came from cannot "
                                           "be checked")
        minimums = {str(k): int(v) for k, v in (item.get("minimums") or {}).items()}
        chosen, shortfalls = draw_panel(str(item.get("seed")), item.get("pool") or [], int(item.get("size") or 0),
                                        minimums)
        report.same(f"{name}: re-run from its seed and pool of {len(item.get('pool') or [])} gives the experts chosen",
                    chosen, item.get("chosen"))
        report.same(f"{name}: shortfalls", [shortfalls, int(item.get("size") or 0) - len(chosen)],
                    [item.get("shortfalls") or {}, item.get("short_by")])
        if item.get("discarded"):
            report.note(f"{name} was discarded: {item['discarded'].get('reason', '')}")
    return draws


# Checkpoints -----------------------------------------------------------------------------------

def _b64(text: Any, length: int) -> bytes | None:
    try:
        data = base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if len(data) == length else None


def verified_checkpoints(report: Report, document: Mapping[str, Any], where: str) -> dict[int, dict[str, Any]]:
    """Sequence -> checkpoint, for those whose signature holds; the others are reported."""
    if document.get("algorithm") != "Ed25519":
        report.bad(f"{where}: algorithm", f"expected Ed25519, found {document.get('algorithm')!r}")
        return {}
    key = _b64(document.get("public_key"), 32)
    if key is None:
        report.bad(f"{where}: public key", "not 32 bytes of base64")
        return {}
    good: dict[int, dict[str, Any]] = {}
    forged = []
    items = list(document.get("checkpoints") or [])
    for item in items:
        signature = _b64(item.get("signature"), 64)
        try:
            message = checkpoint_message(int(item["sequence"]), str(item["head"]), str(item["time"]))
        except (KeyError, TypeError, ValueError):
            forged.append(str(item.get("sequence")))
            continue
        if signature is None or not ed25519_verify(key, message, signature):
            forged.append(str(item.get("sequence")))
            continue
        if int(item["sequence"]) in good and good[int(item["sequence"])]["head"] != item["head"]:
            report.bad(f"{where}: checkpoint {item['sequence']}", "two signed checkpoints give different heads for "
                                                                  "the same entry")
        good[int(item["sequence"])] = dict(item)
    if forged:
        report.bad(f"{where}: signatures", "these checkpoints' signatures do not verify: " + ", ".join(forged))
    elif items:
        report.ok(f"{where}: all {len(items)} checkpoint signatures verify (Ed25519, key {document['public_key']})")
    ordered = sorted(good.values(), key=lambda c: int(c["sequence"]))
    times = [str(c["time"]) for c in ordered]
    if times != sorted(times):
        report.bad(f"{where}: order", "a later entry has an earlier checkpoint time")
    return good


def check_checkpoints(report: Report, site: Site, saved_path: str | None, save_path: str | None,
                      records: Mapping[str, Any], draws: Sequence[Mapping[str, Any]]) -> None:
    report.section("Signed checkpoints of the audit log")
    document = site.get("/checkpoints")
    if document is None:
        report.cannot("checkpoints", "the site publishes no signed checkpoints (/api/v1/checkpoints answers 404), "
                                     "so a rewrite of its audit log cannot be detected from outside")
        current: dict[int, dict[str, Any]] = {}
    else:
        current = verified_checkpoints(report, document, "published checkpoints")
        if not (document.get("checkpoints") or []):
            report.cannot("checkpoints", "the site publishes no checkpoint yet")
        if save_path:
            with open(save_path, "w", encoding="utf-8") as handle:
                json.dump(document, handle, ensure_ascii=False, indent=1, sort_keys=True)
            report.note(f"checkpoints saved to {save_path}: give it back with --checkpoints next time")
    if saved_path:
        try:
            with open(saved_path, encoding="utf-8") as handle:
                saved_document = json.load(handle)
        except (OSError, json.JSONDecodeError) as error:
            raise ReadError(f"cannot read the saved checkpoints {saved_path}: {error}") from None
        saved = verified_checkpoints(report, saved_document, "saved checkpoints")
        if document is not None and saved_document.get("public_key") != document.get("public_key"):
            report.bad("the site's signing key", "it differs from the key of the saved checkpoints")
        rewritten = [f"{seq} (saved {c['head'][:12]}…, now {current[seq]['head'][:12]}…)"
                     for seq, c in sorted(saved.items()) if seq in current and current[seq]["head"] != c["head"]]
        gone = [str(seq) for seq in sorted(saved) if seq not in current]
        if rewritten:
            report.bad("saved checkpoints against the published ones", "the audit log was rewritten: "
                       + ", ".join(rewritten))
        if gone:
            report.bad("saved checkpoints against the published ones", "checkpoints seen before are no longer "
                       "published: " + ", ".join(gone))
        if saved and not rewritten and not gone:
            report.ok(f"every one of the {len(saved)} saved checkpoints is still published with the same head")
    if not current:
        return
    anchored = []
    for stage, record in records.items():
        seq, head = record.get("chain_seq"), record.get("chain_head")
        if seq in current:
            report.same(f"{stage} record: its chain head is the signed checkpoint No. {seq}", head,
                        current[seq]["head"])
            anchored.append(stage)
    for item in draws:
        for seq, head in ((item.get("chain_seq"), item.get("chain_head")),
                          (item.get("_entry_seq"), (item.get("audit_entry") or {}).get("entry_hash"))):
            if seq in current:
                report.same(f"draw #{item.get('number')}: audit entry No. {seq} is the signed checkpoint", head,
                            current[seq]["head"])
        committed, made = item.get("_committed_seq"), item.get("_entry_seq")
        if committed is not None and made is not None:
            between = [seq for seq in current if int(committed) <= seq < int(made)]
            if between:
                report.ok(f"draw #{item.get('number')}: its commitment was in a signed checkpoint (No. "
                          f"{min(between)}) before the draw")
            else:
                report.note(f"draw #{item.get('number')}: no signed checkpoint fell between its commitment and "
                            f"the draw")
    for stage in records:
        if stage not in anchored:
            report.note(f"{stage} record: no signed checkpoint at its audit entry No. "
                        f"{records[stage].get('chain_seq')}; later checkpoints cover it only through the chain")


# Running ---------------------------------------------------------------------------------------

def run(url: str, fetch: Fetch, out: TextIO, saved: str | None = None, save: str | None = None) -> int:
    base, call_id = locate(url)
    site = Site(base, fetch)
    print(f"Venture verifier {VERSION}: call {call_id} at {base}", file=out)
    call = site.get(f"/calls/{call_id}")
    if call is None:
        raise ReadError(f"the site knows no public call {call_id}")
    print(f"“{call.get('title')}” – phase: {call.get('phase')}", file=out)
    report = Report(out)
    records = check_records(report, site, call_id, call)
    draws = check_draws(report, site, call_id) if records else []
    check_checkpoints(report, site, saved, save, records, draws)
    return report.summary()


def main(argv: Sequence[str] | None = None, fetch: Fetch | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a Venture call's published result from outside.")
    parser.add_argument("url", help="the call's public address, e.g. https://example.org/calls/12")
    parser.add_argument("--checkpoints", metavar="FILE", help="checkpoints saved earlier (with --save-checkpoints): "
                                                              "a rewrite of the audit log since then is found")
    parser.add_argument("--save-checkpoints", metavar="FILE", help="save the site's signed checkpoints to FILE")
    args = parser.parse_args(argv)
    out = out or sys.stdout
    try:
        return run(args.url, fetch or http_fetch, out, args.checkpoints, args.save_checkpoints)
    except ReadError as error:
        print(f"ERROR: {error}", file=out)
        return EXIT_ERROR
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        print(f"ERROR: the published data is not in the expected shape ({type(error).__name__}: {error})", file=out)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
