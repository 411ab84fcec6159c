"""How long computing a call's result takes at city size.

A synthetic call in an in-memory SQLite database: 2,000 eligible proposals,
30 panel members, 5 submitted reviews per proposal, a rubric of 6 criteria.
Times ``venture.results.services.compute`` (the queries, the aggregation, the
funding line) and ``record_content`` (the frozen record), then the pure
aggregation and funding line alone on the same numbers.

    .venv/bin/python bench/results_compute.py [--proposals 2000] [--reviews 5] [--criteria 6] [--repeat 5]
    .venv/bin/python bench/results_compute.py --normalise --method trimmed
    .venv/bin/python bench/results_compute.py --repeat 3 --json   # adds one JSON line (bench/run uses it)

Target: well under a second for compute at 2,000 × 5 × 6 (docs/PERFORMANCE.md).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(session, proposals: int, reviews: int, criteria: int, method: str, normalise: bool) -> int:  # noqa: ANN001
    from sqlalchemy import insert

    from venture.accounts.models import User
    from venture.bodies.models import BodyKind, OrganizingBody, PoolExpert
    from venture.calls import services as calls
    from venture.calls.models import CallKind, Phase
    from venture.core.timeutil import utcnow
    from venture.groups.models import Group, GroupKind
    from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion, Screening
    from venture.review.models import Assignment, MemberStatus, PanelMember, Review, ReviewStatus, ReviewVersion
    from venture.review.scoring import fingerprint, freeze

    rng = random.Random(2026)
    now = utcnow()
    body = OrganizingBody(name="基准区民政局", kind=BodyKind.CIVIL_AFFAIRS)
    session.add(body)
    session.flush()
    weights = [100 // criteria] * criteria
    weights[0] += 100 - sum(weights)
    rules = calls.CallRules(
        kind=CallKind.SOCIAL_VENTURE, title="基准创投", summary="s", text_markdown="", themes=["长者关爱"],
        districts=["天河区"], allow_registered=True, allow_grassroots=True, total_budget_fen=proposals * 400_000,
        min_grant_fen=100_000, max_grant_fen=2_000_000, opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=30), timezone="Asia/Shanghai",
        sections=[{"key": "need", "title": "需求"}], required_attachments=[], reviewers_per_proposal=reviews,
        min_fundable_score=Decimal(60), notice_days=7, aggregation_method=method, normalise_scores=normalise,
        tie_criterion_position=1,
        criteria=[calls.CriterionSpec(f"评分项{i + 1}", w, Decimal(10)) for i, w in enumerate(weights)])
    call = calls.create_call(session, None, body, rules)
    call.phase = Phase.REVIEW
    session.flush()
    rubric = list(call.criteria)

    panel = max(30, reviews)
    session.execute(insert(User), [{"email": f"expert{j}@bench.example", "display_name": f"专家{j}"}
                                   for j in range(panel)])
    user_ids = [u.id for u in session.query(User).order_by(User.id)]
    session.execute(insert(PoolExpert), [{"body_id": body.id, "user_id": uid} for uid in user_ids])
    expert_ids = [e.id for e in session.query(PoolExpert).order_by(PoolExpert.id)]
    session.execute(insert(PanelMember), [{"call_id": call.id, "expert_id": eid, "status": MemberStatus.ACCEPTED,
                                           "conflicts_declared_at": now} for eid in expert_ids])
    member_ids = [m.id for m in session.query(PanelMember).order_by(PanelMember.id)]

    session.execute(insert(Group), [{"kind": GroupKind.GRASSROOTS, "name": f"互助队{i}", "filed_with": "社区",
                                     "contact_name": "联系人", "contact_phone": "13900000000",
                                     "contact_email": f"g{i}@bench.example"} for i in range(proposals)])
    group_ids = [g.id for g in session.query(Group).order_by(Group.id)]
    requests = [rng.randrange(200_000, 2_000_000, 10_000) for _ in range(proposals)]
    session.execute(insert(Proposal), [
        {"call_id": call.id, "group_id": gid, "status": ProposalStatus.SUBMITTED, "number": f"2026-SV-{i:05d}",
         "title": f"项目{i}", "requested_fen": requests[i], "submitted_at": now - timedelta(days=31, minutes=i),
         "version_count": 1, "screening": Screening.ELIGIBLE, "theme": "长者关爱", "district": "天河区"}
        for i, gid in enumerate(group_ids)])
    proposal_ids = [p.id for p in session.query(Proposal).order_by(Proposal.id)]
    session.execute(insert(ProposalVersion), [
        {"proposal_id": pid, "version_no": 1, "number": f"2026-SV-{i:05d}",
         "submitted_at": now - timedelta(days=31, minutes=i), "fingerprint": "0" * 64,
         "content": {"title": f"项目{i}", "requested_fen": requests[i], "theme": "长者关爱", "district": "天河区"}}
        for i, pid in enumerate(proposal_ids)])

    pairs = [(pid, member) for i, pid in enumerate(proposal_ids)
             for member in rng.sample(member_ids, reviews)]
    session.execute(insert(Assignment), [{"proposal_id": pid, "member_id": mid} for pid, mid in pairs])
    assignment_ids = [a.id for a in session.query(Assignment).order_by(Assignment.id)]
    session.execute(insert(Review), [{"assignment_id": aid, "status": ReviewStatus.SUBMITTED, "scores": {},
                                      "reasons": {}, "submitted_at": now, "version_count": 1}
                                     for aid in assignment_ids])
    review_ids = [r.id for r in session.query(Review).order_by(Review.id)]
    leniency = {mid: rng.uniform(-1.5, 1.5) for mid in member_ids}
    versions = []
    for (_pid, mid), rid in zip(pairs, review_ids, strict=True):
        scores = {str(c.id): Decimal(str(min(10.0, max(0.0, round((rng.uniform(3, 9.5) + leniency[mid]) * 2) / 2))))
                  for c in rubric}
        content = freeze(rubric, scores, {k: "理由" * 6 for k in scores}, "", "")
        versions.append({"review_id": rid, "version_no": 1, "submitted_at": now, "content": content,
                         "total": Decimal(content["total"]), "fingerprint": fingerprint(content)})
    session.execute(insert(ReviewVersion), versions)
    session.flush()
    return call.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--reviews", type=int, default=5)
    parser.add_argument("--criteria", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--method", choices=("mean", "trimmed"), default="mean")
    parser.add_argument("--normalise", action="store_true")
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    args = parser.parse_args()

    from venture import create_app
    from venture.extensions import db
    from venture.models import metadata
    from venture.results import aggregate, funding
    from venture.results import services as results
    from venture.results.models import ResultStage

    folder = Path(tempfile.mkdtemp(prefix="venture-bench-results-"))
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "bench-" + "x" * 40,
                      "INSTANCE_PATH": str(folder / "instance"), "UPLOAD_FOLDER": str(folder / "uploads"),
                      "SEARCH_INDEX_FOLDER": str(folder / "index"), "MAIL_BACKEND": "outbox",
                      "MAIL_OUTBOX_FOLDER": str(folder / "outbox"), "REDIS_URL": "", "SERVER_NAME": None})
    with app.test_request_context():
        metadata.create_all(db.engine)
        started = time.perf_counter()
        call_id = build(db.session, args.proposals, args.reviews, args.criteria, args.method, args.normalise)
        db.session.commit()
        built = time.perf_counter() - started
        from venture.calls.models import Call

        compute_times, compute_cpu, record_times = [], [], []
        for _ in range(args.repeat):
            db.session.expire_all()
            call = db.session.get(Call, call_id)
            started, cpu = time.perf_counter(), time.process_time()
            computation = results.compute(db.session, call)
            compute_times.append(time.perf_counter() - started)
            compute_cpu.append(time.process_time() - cpu)
            started = time.perf_counter()
            results.record_content(db.session, call, computation, ResultStage.PROPOSED)
            record_times.append(time.perf_counter() - started)
        scores = [r.score for r in computation.reviews]
        rows = computation.rows
        pure_times = []
        for _ in range(args.repeat):
            started = time.process_time()
            finals = aggregate.aggregate(list(rows), scores, computation.method, args.reviews)
            aggregate.reviewer_stats(scores)
            entries = [funding.Entry(p, finals[p].final, finals[p].criteria_means.get(1), r.first_submitted_at,
                                     r.request_fen) for p, r in rows.items()]
            funding.funding_line(entries, call.total_budget_fen, Decimal(60))
            pure_times.append(time.process_time() - started)
    funded = sum(1 for line in computation.lines if line.outcome is funding.Outcome.FUNDED)
    print(f"data set: {len(rows):,} proposals × {args.reviews} reviews × {args.criteria} criteria "
          f"({len(scores):,} reviews; method {args.method}{', normalised' if args.normalise else ''}); "
          f"built in {built:.1f} s; {funded} funded")
    print(f"compute (queries + aggregation + funding line): wall median {statistics.median(compute_times) * 1000:.0f} ms,"
          f" best {min(compute_times) * 1000:.0f} ms; CPU median {statistics.median(compute_cpu) * 1000:.0f} ms"
          f" (over {args.repeat} runs)")
    print(f"record_content: median {statistics.median(record_times) * 1000:.0f} ms")
    print(f"pure aggregation + reviewer statistics + funding line: CPU median "
          f"{statistics.median(pure_times) * 1000:.0f} ms")
    print(f"machine load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        print(json.dumps({
            "proposals": len(rows), "reviews": len(scores), "reviews_per_proposal": args.reviews,
            "criteria": args.criteria, "method": args.method, "normalise": args.normalise, "built_s": built,
            "compute_median_ms": statistics.median(compute_times) * 1000,
            "compute_best_ms": min(compute_times) * 1000,
            "compute_cpu_ms": statistics.median(compute_cpu) * 1000,
            "record_median_ms": statistics.median(record_times) * 1000,
            "pure_cpu_ms": statistics.median(pure_times) * 1000, "repeat": args.repeat,
            "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg())}))


if __name__ == "__main__":
    main()
