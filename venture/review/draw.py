"""Drawing an expert panel from the pool, reproducibly and stratified by expertise.

Why it works this way: organisers are accused of favouritism when they pick
reviewers by hand, so the panel is drawn by chance. "By chance" must still be
checkable afterwards: the audit log records the seed, a snapshot of the pool
(each expert's id and expertise areas), the panel size and the minimum number
of experts per area. From that record anyone can redo the draw, in any
programming language, and must get the same panel. The seed is made at random
when the draw happens (``new_seed``), after the pool is fixed, so nobody could
have arranged the pool to suit it.

The algorithm, in plain words:

1. Ranking. For every expert in the pool, write the seed, a colon and the
   expert's id as a decimal number (seed ``ab12`` and expert 7 give the text
   ``ab12:7``), encode that text as UTF-8 and take its SHA-256 digest, written
   as 64 lowercase hexadecimal characters. This is the expert's key. The draw
   order is the pool sorted by key, smallest first (comparing the hexadecimal
   strings character by character, which is the same as comparing the
   digests as numbers); two equal keys, which in practice never happen, are
   ordered by the smaller id. An expert id may appear only once in the pool.

2. Minimums. Take the areas that have a minimum, sorted by their area key
   (plain character order, e.g. "finance" before "law"). For each area in
   turn, count the experts already chosen who have that area, including
   experts chosen for an earlier area. While that count is below the area's
   minimum, walk the draw order from the start and choose the next expert who
   has the area and is not yet chosen. Stop early when there is no such
   expert left or the panel already has its full size.

3. Filling. Walk the draw order from the start and choose every expert not
   yet chosen until the panel has its full size or the pool is used up.

The panel is the chosen experts in the order they were chosen. Nothing is
ever drawn twice, and a small pool is not an error: the result says how many
experts each area still lacks (``shortfalls``) and how many seats are empty
(``short_by``), so the organiser can widen the pool and draw again.

Where the seed comes from, so that nobody can steer it (``ceremony_seed``):
before the draw the server fixes a random secret and publishes only its
SHA-256 digest (the commitment); at the draw, witnesses enter values of their
own choosing; the seed is the SHA-256 of the canonical JSON of
``{"chain_head": ..., "chain_seq": ..., "secret": ..., "witness_values": [...]}``
where the chain head is the audit chain's last entry when the draw is made.
The organizer knows neither the secret nor the witnesses' values in advance,
and the witnesses do not know the secret. A replacement draw after a decline
takes its seed from the draw that chose the member who declined
(``replacement_seed``), so nobody chooses it either.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Candidate:
    """An expert in the pool, as the draw sees them: an id and expertise areas."""

    expert_id: int
    areas: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Accept any iterable of areas but keep the object hashable and immutable.
        object.__setattr__(self, "areas", tuple(self.areas))


@dataclass(frozen=True)
class DrawResult:
    """What a draw gave.

    ``chosen`` lists expert ids in the order they were chosen (minimums first,
    then filling). ``shortfalls`` maps each area whose minimum the pool could
    not meet to the number of experts missing; areas that were met are absent.
    ``short_by`` is how many seats stayed empty because the pool ran out.
    """

    chosen: tuple[int, ...]
    shortfalls: dict[str, int] = field(default_factory=dict)
    short_by: int = 0

    @property
    def complete(self) -> bool:
        """True when every seat is filled and every minimum is met."""
        return not self.shortfalls and self.short_by == 0


def new_seed() -> str:
    """A fresh seed: 32 hexadecimal characters from the operating system's secure source."""
    return secrets.token_hex(16)


def new_secret() -> str:
    """A commitment's secret: 64 hexadecimal characters from the operating system's secure source."""
    return secrets.token_hex(32)


def canonical(value: Any) -> bytes:
    """The canonical JSON the fingerprints use: keys sorted, no spaces, UTF-8 without escapes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def commitment_digest(secret: str) -> str:
    """What is published before the draw: the SHA-256 of the secret's text."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def witness_value(text: str) -> str:
    """A value as a witness entered it, in one form: NFC, without surrounding spaces."""
    return unicodedata.normalize("NFC", str(text)).strip()


def ceremony_seed(secret: str, witness_values: Sequence[str], chain_seq: int, chain_head: str) -> str:
    """The seed of a draw made with a commitment and witnesses (see the module docstring)."""
    return hashlib.sha256(canonical({"chain_head": chain_head, "chain_seq": int(chain_seq), "secret": secret,
                                     "witness_values": [witness_value(v) for v in witness_values]})).hexdigest()


def replacement_seed(parent_seed: str, replaces_member: int) -> str:
    """The seed of the draw that replaces ``replaces_member``, from the seed of the draw that chose them."""
    return hashlib.sha256(canonical({"parent_seed": parent_seed,
                                     "replaces_member": int(replaces_member)})).hexdigest()


def draw_key(seed: str, expert_id: int) -> str:
    """The expert's ranking key for this seed (step 1 of the module docstring)."""
    return hashlib.sha256(f"{seed}:{expert_id}".encode()).hexdigest()


def draw_order(seed: str, candidates: Iterable[Candidate]) -> list[Candidate]:
    """The pool in draw order for ``seed``; raises ValueError on a repeated expert id."""
    pool = list(candidates)
    _check_unique(pool)
    return sorted(pool, key=lambda c: (draw_key(seed, c.expert_id), c.expert_id))


def draw_panel(seed: str, candidates: Sequence[Candidate], size: int, minimums: Mapping[str, int]) -> DrawResult:
    """Draw a panel of ``size`` experts meeting the per-area ``minimums`` where the pool allows.

    Raises ValueError for a size below one, a negative minimum, a minimum
    larger than the panel (no pool could ever meet it) or a repeated expert
    id. The sum of the minimums may exceed the size, because one expert with
    two areas counts for both.
    """
    if size < 1:
        raise ValueError(f"panel size must be at least 1, not {size}")
    negative = sorted(area for area, count in minimums.items() if count < 0)
    if negative:
        raise ValueError(f"minimums cannot be negative: {', '.join(negative)}")
    if minimums and max(minimums.values()) > size:
        raise ValueError(f"a minimum of {max(minimums.values())} cannot be met by a panel of {size}")

    order = draw_order(seed, candidates)
    chosen: list[Candidate] = []
    taken: set[int] = set()

    def take(candidate: Candidate) -> None:
        chosen.append(candidate)
        taken.add(candidate.expert_id)

    for area in sorted(minimums):
        have = sum(1 for c in chosen if area in c.areas)
        for candidate in order:
            if have >= minimums[area] or len(chosen) >= size:
                break
            if candidate.expert_id not in taken and area in candidate.areas:
                take(candidate)
                have += 1

    for candidate in order:
        if len(chosen) >= size:
            break
        if candidate.expert_id not in taken:
            take(candidate)

    shortfalls: dict[str, int] = {}
    for area in sorted(minimums):
        missing = minimums[area] - sum(1 for c in chosen if area in c.areas)
        if missing > 0:
            shortfalls[area] = missing
    return DrawResult(
        chosen=tuple(c.expert_id for c in chosen),
        shortfalls=shortfalls,
        short_by=size - len(chosen),
    )


def snapshot(candidates: Iterable[Candidate]) -> list[dict[str, Any]]:
    """The pool as recorded in the audit log: ``[{"expert": id, "areas": [...]}]`` sorted by id.

    Areas are sorted and listed once each; the draw only asks whether an
    expert has an area, so this loses nothing.
    """
    pool = list(candidates)
    _check_unique(pool)
    return [{"expert": c.expert_id, "areas": sorted(set(c.areas))} for c in sorted(pool, key=lambda c: c.expert_id)]


def candidates_from_snapshot(recorded: Iterable[Mapping[str, Any]]) -> list[Candidate]:
    """The pool back from an audit snapshot, so that a recorded draw can be re-run."""
    return [Candidate(int(entry["expert"]), tuple(str(a) for a in entry["areas"])) for entry in recorded]


def _check_unique(pool: Sequence[Candidate]) -> None:
    seen: set[int] = set()
    repeated: set[int] = set()
    for candidate in pool:
        (repeated if candidate.expert_id in seen else seen).add(candidate.expert_id)
    if repeated:
        raise ValueError(f"expert ids appear more than once in the pool: {sorted(repeated)}")
