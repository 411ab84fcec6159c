"""Looks at a seeded database (DATABASE_URL) for the runner: what it holds
and which pages to measure. Prints one JSON object."""
from __future__ import annotations

import json
import os
import sys

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from venture import create_app
from venture.extensions import db


def probe() -> dict[str, object]:
    from venture.accounts.models import User
    from venture.calls.models import Call, Phase
    from venture.comments.models import Comment
    from venture.proposals.models import Proposal, ProposalVersion
    from venture.results.models import ResultRecord
    from venture.review.models import Review
    from venture.showcase.models import Support
    from venture.showcase.services import encode_cursor
    from venture.showcase.visibility import public_proposals

    app = create_app({"DATABASE_URL": os.environ["DATABASE_URL"]})
    with app.app_context():
        session = db.session
        count = {name: session.scalar(select(func.count()).select_from(model)) or 0
                 for name, model in (("users", User), ("calls", Call), ("proposals", Proposal),
                                     ("versions", ProposalVersion), ("comments", Comment), ("supports", Support),
                                     ("reviews", Review), ("result_records", ResultRecord))}
        info: dict[str, object] = {"counts": count, "dialect": db.engine.dialect.name,
                                   "server_version": ".".join(str(p) for p in
                                                              (db.engine.dialect.server_version_info or ()))}
        if not count["users"]:
            return info
        info.update(review_pages(session))
        # The listing: the open call with the most public proposals (else any public call).
        public = public_proposals().subquery()
        sizes = select(public.c.call_id, func.count().label("n")).group_by(public.c.call_id).subquery()
        best = session.execute(select(sizes.c.call_id, sizes.c.n).join(Call, Call.id == sizes.c.call_id)
                               .order_by((Call.phase == Phase.OPEN).desc(), sizes.c.n.desc()).limit(1)).first()
        if best is None:
            return info
        call_id, size = best
        info.update(call_id=call_id, call_public=size)
        # A deep page: the page after the proposal four fifths of the way down the listing.
        offset = max(0, size * 4 // 5 - 1)
        row = session.execute(public_proposals().where(Proposal.call_id == call_id)
                              .order_by(Proposal.submitted_at.desc(), Proposal.id.desc())
                              .offset(offset).limit(1)).scalars().first()
        if row is not None:
            info.update(deep_cursor=encode_cursor(row.submitted_at, row.id), deep_offset=offset + 1)
        # The proposal page: a public proposal with at least 50 comments (the fewest such), else the most.
        counted = public_proposals().where(Proposal.comment_count >= 50).order_by(Proposal.comment_count, Proposal.id)
        proposal = session.scalars(counted.limit(1)).first() or session.scalars(
            public_proposals().order_by(Proposal.comment_count.desc(), Proposal.id).limit(1)).first()
        if proposal is not None:
            info.update(proposal_id=proposal.id, proposal_comments=proposal.comment_count)
        # The most discussed public proposal: its page shows the whole thread.
        busiest = session.scalars(public_proposals().order_by(Proposal.comment_count.desc(), Proposal.id)
                                  .limit(1)).first()
        if busiest is not None and busiest.id != info.get("proposal_id"):
            info.update(busiest_id=busiest.id, busiest_comments=busiest.comment_count)
        return info


def review_pages(session: Session) -> dict[str, object]:
    """The reviewer for the dashboard (the seeded one with the most live
    assignments) and the call for the results page (the published call with
    the most result lines, else one in public notice)."""
    from venture.accounts.models import User
    from venture.bodies.models import PoolExpert
    from venture.calls.models import Call, Phase
    from venture.results.models import ResultRecord
    from venture.review.models import Assignment, PanelMember

    found: dict[str, object] = {}
    busiest = session.execute(
        select(PoolExpert.user_id, func.count(Assignment.id).label("n"),
               func.count(func.distinct(PanelMember.id)).label("panels"))
        .join(PanelMember, PanelMember.expert_id == PoolExpert.id)
        .join(Assignment, Assignment.member_id == PanelMember.id)
        .where(Assignment.ended_at.is_(None))
        .group_by(PoolExpert.user_id)
        .order_by(func.count(Assignment.id).desc(), PoolExpert.user_id).limit(1)).first()
    if busiest is not None:
        found.update(reviewer_user_id=busiest.user_id, reviewer_assignments=busiest.n,
                     reviewer_panels=busiest.panels, reviewer_email=session.get(User, busiest.user_id).email)
    records = session.execute(select(ResultRecord.call_id, Call.phase, ResultRecord.content)
                              .join(Call, Call.id == ResultRecord.call_id)
                              .where(Call.phase.in_([Phase.PUBLISHED, Phase.NOTICE]))).all()
    if records:
        call_id, phase, content = max(records, key=lambda r: (r.phase is Phase.PUBLISHED, len(r.content["lines"]),
                                                              -r.call_id))
        found.update(results_call_id=call_id, results_phase=phase.value, results_lines=len(content["lines"]))
    return found


if __name__ == "__main__":
    json.dump(probe(), sys.stdout)
    sys.stdout.write("\n")
