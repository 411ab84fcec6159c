"""Assigning panel members to proposals: conflict-free, evenly loaded, finance where possible.

What must hold, in this order of importance:

1. Every proposal gets exactly ``per_proposal`` different reviewers, none of
   whom has declared a conflict of interest with it. If that cannot be done
   (a proposal has fewer reviewers without a conflict than it needs),
   ``assign`` raises ``AssignmentImpossible`` naming those proposals.
2. The work is spread evenly: the numbers of reviews each reviewer holds
   (their loads, counting reviews they already hold when ``existing_loads``
   is given) differ by at most one. Conflicts can make that impossible; the
   assignment is then the most even one possible and ``balanced`` is False.
   "Most even" means the smallest sum of squared loads. For problems of this
   shape that same assignment also has the smallest possible largest load
   and the largest possible smallest load (discrete decreasing minimisation,
   Frank and Murota), so it is the natural meaning of "as even as possible".
3. Only then: as many proposals as possible get at least one reviewer with
   finance expertise, because budgets are where inexperienced applicants
   most often go wrong.

Ties are broken by the draw's seed (SHA-256 keys as in ``draw.py``, never a
global random generator), so the same inputs and seed always give the same
assignment, and a different seed generally gives a different one.

How: the answer is found exactly as a minimum-cost flow rather than by a
greedy heuristic, because a greedy pass can paint itself into a corner with
conflicts and would then report "impossible" or "unbalanced" wrongly.

* Proposals with the same set of allowed (non-conflicted) reviewers are
  interchangeable, so they are grouped into *types*. Most proposals have no
  conflict at all, so there are few types and the network stays tiny even
  for hundreds of proposals.
* Network: source -> type T with capacity k*|T| (each of its proposals needs
  k reviews); T -> allowed reviewer r with capacity |T| (a reviewer reads
  each proposal at most once). Finance reviewers hang off an extra node Tf:
  T -> Tf by one edge of capacity |T| and cost -B (a bonus for each of the
  first |T| finance reviews: one per proposal can be covered) and one of
  capacity (k-1)*|T| at no cost; Tf -> finance reviewer r with capacity |T|.
* Reviewer -> sink carries the load with a convex cost: the review that
  takes a reviewer from load L to L+1 costs C*(2L+1), so a reviewer's total
  is C*(final load squared) up to a constant. Since C > B*P, any gain in
  evenness outweighs every possible finance bonus.
* Successive shortest paths (Dijkstra on reduced costs, starting from
  Bellman-Ford potentials because of the negative bonus edges) sends one
  review at a time along a cheapest path, several per round while the
  cheapest paths last. The final flow is a cheapest full flow.
* A type's flow n(T, r) is turned into per-proposal assignments by dealing
  cards: list the reviewers (finance reviewers first, each group in seeded
  order), each repeated n(T, r) times, and deal the list round the type's
  proposals (in seeded order). As n(T, r) <= |T|, no proposal is dealt the
  same reviewer twice; every proposal gets exactly k; and the first
  min(finance reviews, |T|) proposals each get a finance reviewer, which is
  exactly the bonus the flow counted.
"""
from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

FINANCE_BONUS = 1  # B: the cost reduction for each proposal covered by a finance reviewer


@dataclass(frozen=True)
class Reviewer:
    """A panel member as the assignment sees them."""

    id: int
    finance: bool = False


@dataclass(frozen=True)
class Problem:
    """Why a proposal cannot be served: too few panel members without a conflict."""

    proposal: int
    conflicted: frozenset[int]
    available: int
    needed: int

    def __str__(self) -> str:
        conflicted = ", ".join(str(r) for r in sorted(self.conflicted)) or "none"
        return (f"proposal {self.proposal}: {self.available} reviewer(s) available, {self.needed} needed "
                f"(in conflict: {conflicted})")


class AssignmentImpossible(ValueError):
    """Some proposals cannot get enough conflict-free reviewers; ``problems`` says which and why."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Assignment:
    """The result of ``assign``.

    ``pairs`` maps each proposal to its reviewers' ids (sorted). ``loads``
    maps every panel member to the number of reviews they will hold,
    including ``existing_loads``. ``balanced`` says whether those loads differ
    by at most one. ``without_finance`` lists the proposals left without a
    finance reviewer.
    """

    pairs: dict[int, tuple[int, ...]]
    loads: dict[int, int]
    balanced: bool
    without_finance: tuple[int, ...]


def seeded_order(seed: str, label: str, ids: Iterable[int]) -> list[int]:
    """``ids`` shuffled reproducibly: sorted by SHA-256 of ``"{seed}:{label}:{id}"``, then by id.

    The label keeps reviewer 5 and proposal 5 from sharing a key.
    """
    return sorted(ids, key=lambda i: (hashlib.sha256(f"{seed}:{label}:{i}".encode()).hexdigest(), i))


def assign(
    proposals: Sequence[int],
    reviewers: Sequence[Reviewer],
    per_proposal: int,
    conflicts: Mapping[int, set[int]],
    seed: str,
    existing_loads: Mapping[int, int] | None = None,
) -> Assignment:
    """Give every proposal ``per_proposal`` conflict-free reviewers, as evenly as possible.

    ``conflicts`` maps a proposal id to the ids of reviewers in conflict with
    it. ``existing_loads`` (reviewer id -> reviews already held) makes the
    evenness count those too, for topping up an earlier assignment.

    Raises ``AssignmentImpossible`` when some proposal has too few
    reviewers without a conflict, and ValueError for malformed input
    (repeated ids, ``per_proposal`` below one, negative loads). Never raises
    merely because perfect balance is impossible: see ``balanced``.
    """
    if per_proposal < 1:
        raise ValueError(f"each proposal needs at least one reviewer, not {per_proposal}")
    _check_unique("proposal", proposals)
    _check_unique("reviewer", [r.id for r in reviewers])
    base = {r.id: (existing_loads or {}).get(r.id, 0) for r in reviewers}
    if any(load < 0 for load in base.values()):
        raise ValueError("existing loads cannot be negative")
    k = per_proposal
    is_finance = {r.id: r.finance for r in reviewers}

    allowed: dict[int, frozenset[int]] = {}
    problems: list[Problem] = []
    for proposal in proposals:
        conflicted = frozenset(conflicts.get(proposal, ())) & is_finance.keys()
        allowed[proposal] = frozenset(is_finance.keys() - conflicted)
        if len(allowed[proposal]) < k:
            problems.append(Problem(proposal, conflicted, len(allowed[proposal]), k))
    if problems:
        raise AssignmentImpossible(problems)

    reviewer_order = seeded_order(seed, "reviewer", is_finance)
    types: dict[frozenset[int], list[int]] = {}
    for proposal in seeded_order(seed, "proposal", proposals):
        types.setdefault(allowed[proposal], []).append(proposal)

    # Build the network. Node 0 is the source; reviewers come last.
    network = _Network()
    source = network.node()
    type_nodes = [(network.node(), network.node()) for _ in types]  # (T, Tf)
    reviewer_node = {rid: network.node() for rid in reviewer_order}
    review_edges: list[list[tuple[int, int]]] = []  # per type: (reviewer id, edge index)
    for (t_node, tf_node), (allowed_set, members) in zip(type_nodes, types.items(), strict=True):
        size = len(members)
        network.edge(source, t_node, k * size, 0)
        network.edge(t_node, tf_node, size, -FINANCE_BONUS)
        if k > 1:
            network.edge(t_node, tf_node, (k - 1) * size, 0)
        edges = []
        for rid in reviewer_order:
            if rid in allowed_set:
                start = tf_node if is_finance[rid] else t_node
                edges.append((rid, network.edge(start, reviewer_node[rid], size, 0)))
        review_edges.append(edges)

    total = k * len(proposals)
    sent = network.min_cost_flow(
        source=source,
        exits={node: base[rid] for rid, node in reviewer_node.items()},
        unit_weight=FINANCE_BONUS * len(proposals) + 1,  # C > B * P: evenness first
        demand=total,
    )
    if sent != total:  # cannot happen: reviewers have no capacity limit and every type has >= k of them
        raise AssertionError(f"flow sent {sent} of {total} reviews")

    assigned: dict[int, list[int]] = {p: [] for p in proposals}
    for edges, members in zip(review_edges, types.values(), strict=True):
        flows = [(rid, network.flow(edge)) for rid, edge in edges]
        deck = [rid for rid, n in flows if is_finance[rid] for _ in range(n)]
        deck += [rid for rid, n in flows if not is_finance[rid] for _ in range(n)]
        for slot, rid in enumerate(deck):
            assigned[members[slot % len(members)]].append(rid)

    loads = dict(base)
    for rids in assigned.values():
        for rid in rids:
            loads[rid] += 1
    pairs = {p: tuple(sorted(rids)) for p, rids in assigned.items()}
    return Assignment(
        pairs=pairs,
        loads=loads,
        balanced=not loads or max(loads.values()) - min(loads.values()) <= 1,
        without_finance=tuple(p for p, rids in pairs.items() if not any(is_finance[r] for r in rids)),
    )


def redistribute(
    open_items: Sequence[int],
    leaving: int,
    reviewers: Sequence[Reviewer],
    current: Mapping[int, set[int]],
    conflicts: Mapping[int, set[int]],
    loads: Mapping[int, int],
    seed: str,
) -> dict[int, int]:
    """A replacement for each open proposal of a reviewer who withdraws.

    Moving only the leaving reviewer's open items (rather than re-running
    ``assign``) keeps everyone else's reading undisturbed. Proposals are
    handled by ascending id; each gets a reviewer who is not ``leaving``,
    not already on it and not in conflict with it, choosing the lowest
    current load (ties by seed) and counting each choice before the next.
    When the leaving reviewer was the proposal's only finance reviewer, a
    finance reviewer is preferred if one is possible.

    Raises ``AssignmentImpossible`` naming every proposal with no possible
    replacement.
    """
    _check_unique("proposal", open_items)
    _check_unique("reviewer", [r.id for r in reviewers])
    is_finance = {r.id: r.finance for r in reviewers}
    rank = {rid: i for i, rid in enumerate(seeded_order(seed, "reviewer", is_finance))}
    held = {rid: loads.get(rid, 0) for rid in is_finance}

    problems: list[Problem] = []
    replacements: dict[int, int] = {}
    for proposal in sorted(open_items):
        on_it = set(current.get(proposal, ()))
        conflicted = set(conflicts.get(proposal, ()))
        candidates = [rid for rid in is_finance if rid != leaving and rid not in on_it and rid not in conflicted]
        if not candidates:
            problems.append(Problem(proposal, frozenset(conflicted & is_finance.keys()), 0, 1))
            continue
        loses_finance = is_finance.get(leaving, False) and not any(is_finance.get(r, False) for r in on_it - {leaving})
        if loses_finance and any(is_finance[rid] for rid in candidates):
            candidates = [rid for rid in candidates if is_finance[rid]]
        choice = min(candidates, key=lambda rid: (held[rid], rank[rid]))
        replacements[proposal] = choice
        held[choice] += 1
    if problems:
        raise AssignmentImpossible(problems)
    return replacements


def _check_unique(what: str, ids: Sequence[int]) -> None:
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
    if repeated:
        raise ValueError(f"{what} ids appear more than once: {repeated}")


class _Network:
    """A small flow network for successive-shortest-path minimum-cost flow.

    Edges are stored in pairs (forward at an even index, its residual reverse
    at the next odd one). The edges into the sink are not stored: each
    reviewer node is an *exit* whose next unit costs ``C * (2L + 1)`` where L
    is its current load; that is how the convex load cost is expressed
    without one edge per possible load. Edges out of the sink are never
    useful on a source-to-sink path, so exits need no reverse edges.
    """

    def __init__(self) -> None:
        self.out: list[list[int]] = []
        self.head: list[int] = []
        self.cap: list[int] = []
        self.cost: list[int] = []

    def node(self) -> int:
        self.out.append([])
        return len(self.out) - 1

    def edge(self, tail: int, head: int, capacity: int, cost: int) -> int:
        index = len(self.head)
        for frm, to, cap, cst in ((tail, head, capacity, cost), (head, tail, 0, -cost)):
            self.out[frm].append(len(self.head))
            self.head.append(to)
            self.cap.append(cap)
            self.cost.append(cst)
        return index

    def flow(self, edge: int) -> int:
        """Units sent along a forward edge: the capacity of its reverse."""
        return self.cap[edge ^ 1]

    def min_cost_flow(self, source: int, exits: dict[int, int], unit_weight: int, demand: int) -> int:
        """Send up to ``demand`` units from ``source`` to the exits at least cost; returns units sent.

        ``exits`` maps each exit node to its starting load. Each round runs
        Dijkstra on reduced costs (costs adjusted by node potentials so none
        is negative), updates the potentials, then pushes single units along
        every path whose reduced cost is zero – all of them cheapest paths –
        until none is left, and starts the next round.
        """
        sink = len(self.out)
        nodes = sink + 1
        load = dict(exits)

        def exit_cost(node: int) -> int:
            return unit_weight * (2 * load[node] + 1)

        potential = self._initial_potentials(source, exits, exit_cost)
        sent = 0
        inf = float("inf")
        while sent < demand:
            # Dijkstra on reduced costs.
            dist: list[float] = [inf] * nodes
            dist[source] = 0
            heap: list[tuple[float, int]] = [(0, source)]
            while heap:
                d, u = heapq.heappop(heap)
                if d > dist[u] or u == sink:
                    continue
                for e in self.out[u]:
                    if self.cap[e] > 0:
                        v = self.head[e]
                        nd = d + self.cost[e] + potential[u] - potential[v]
                        if nd < dist[v]:
                            dist[v] = nd
                            heapq.heappush(heap, (nd, v))
                if u in load:
                    nd = d + exit_cost(u) + potential[u] - potential[sink]
                    if nd < dist[sink]:
                        dist[sink] = nd
                        heapq.heappush(heap, (nd, sink))
            if dist[sink] == inf:
                break
            reach = dist[sink]
            for v in range(nodes):
                potential[v] += int(min(dist[v], reach))

            # Push along zero-reduced-cost paths while there are any.
            while sent < demand:
                path = self._admissible_path(source, sink, potential, load, exit_cost)
                if path is None:
                    break
                edges, last = path
                for e in edges:
                    self.cap[e] -= 1
                    self.cap[e ^ 1] += 1
                load[last] += 1
                sent += 1
        return sent

    def _initial_potentials(self, source: int, exits: dict[int, int],
                            exit_cost: Callable[[int], int]) -> list[int]:
        """Bellman-Ford distances from the source (the bonus edges are negative, so Dijkstra cannot start)."""
        sink = len(self.out)
        dist: list[int | None] = [None] * (sink + 1)
        dist[source] = 0
        changed = True
        while changed:
            changed = False
            for u in range(sink):
                du = dist[u]
                if du is None:
                    continue
                for e in self.out[u]:
                    if self.cap[e] > 0:
                        v = self.head[e]
                        if dist[v] is None or du + self.cost[e] < dist[v]:
                            dist[v] = du + self.cost[e]
                            changed = True
        for u in exits:
            if dist[u] is not None:
                through = dist[u] + exit_cost(u)
                dist[sink] = through if dist[sink] is None else min(dist[sink], through)
        # Unreachable nodes stay unreachable (new residual edges only join nodes on a path), so
        # their potential never matters; give them a harmless value.
        big = max((d for d in dist if d is not None), default=0)
        return [big if d is None else d for d in dist]

    def _admissible_path(self, source: int, sink: int, potential: list[int], load: dict[int, int],
                         exit_cost: Callable[[int], int]) -> tuple[list[int], int] | None:
        """A source-to-sink path using only edges of zero reduced cost, as (edges, exit node)."""
        seen = {source}
        stack: list[tuple[int, int]] = [(source, 0)]  # (node, position in its edge list)
        via: list[int] = []  # edge taken to reach stack[i + 1]
        while stack:
            u, i = stack[-1]
            if u in load and exit_cost(u) + potential[u] - potential[sink] == 0:
                return via, u
            edges = self.out[u]
            while i < len(edges):
                e = edges[i]
                v = self.head[e]
                i += 1
                if v not in seen and self.cap[e] > 0 and self.cost[e] + potential[u] - potential[v] == 0:
                    stack[-1] = (u, i)
                    seen.add(v)
                    stack.append((v, 0))
                    via.append(e)
                    break
            else:
                stack.pop()
                if via:
                    via.pop()
        return None
