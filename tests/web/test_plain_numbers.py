"""Budget quantities and the review-count column as people read them: 10,
never 1E+1 (on the public page, the group's version and the reviewer's sheet),
and a Chinese CSV header that says what the column counts."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.builders import make_body, make_group
from tests.conftest import Client, login, make_user
from tests.public_results_builders import make_results_world as notice_world
from tests.review_builders import make_review_world
from venture.accounts.models import User
from venture.calls.models import Phase
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.proposals import services as proposals
from venture.proposals.models import Proposal, ProposalVersion


def test_a_quantity_of_ten_is_stored_and_shown_as_ten(app):
    make_user(app, "organizer@example.org")
    make_user(app, "owner@example.org")
    make_user(app, "reviewer@example.org")
    body = make_body(app, "organizer@example.org")
    group = make_group(app, "owner@example.org")
    ids = make_review_world(app, body, group, "reviewer@example.org")
    with app.test_request_context():
        proposal = db.session.get(Proposal, ids["review_proposal_id"])
        # As older versions stored it: Decimal("10").normalize() is written "1E+1".
        version = db.session.scalar(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id))
        version.content = {**version.content, "budget": [{**version.content["budget"][0], "quantity": "1E+1"}]}
        proposal.budget = [{**proposal.budget[0], "quantity": "1E+1"}]
        db.session.commit()

    reviewer = Client(app, app.response_class, use_cookies=True)
    login(reviewer, "reviewer@example.org")
    sheet = reviewer.get(f"/review/{ids['assignment_id']}").get_data(as_text=True)
    assert "<td>10</td>" in sheet and "1E+1" not in sheet
    public = Client(app, app.response_class).get(f"/proposals/{ids['review_proposal_id']}")
    assert public.status_code == 200
    page = public.get_data(as_text=True)
    assert "<td>10</td>" in page and "1E+1" not in page

    with app.test_request_context():
        owner = db.session.scalar(select(User).where(User.email == "owner@example.org"))
        draft = db.session.get(Proposal, ids["review_proposal_id"])
        draft.call.phase = Phase.OPEN
        draft.call.closes_at = utcnow() + timedelta(days=1)
        content = proposals.DraftContent(title="t", summary="s", budget=[
            proposals.BudgetLine("场地", 1000, Decimal("10")), proposals.BudgetLine("茶水", 500, Decimal("2.50"))])
        proposals.save_draft(db.session, owner, draft, content, draft.lock_version)
        assert [line["quantity"] for line in draft.budget] == ["10", "2.5"]
        db.session.rollback()


def test_the_chinese_csv_counts_reviews_as_reviews(app):
    ids = notice_world(app, Phase.NOTICE)
    client = Client(app, app.response_class)
    client.set_cookie("lang", "zh_CN")
    data = client.get(f"/calls/{ids['call_id']}/results.csv").get_data().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(data)))
    assert "评审份数" in header and "评审意见" not in header
