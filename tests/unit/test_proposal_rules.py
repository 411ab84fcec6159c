"""Proposals: budget rules, completeness, eligibility, fingerprints."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from venture.calls.models import Call, CallKind, Phase
from venture.core.timeutil import utcnow
from venture.groups.models import Group, GroupKind
from venture.proposals import services
from venture.proposals.models import Attachment, Proposal, line_subtotal_fen
from venture.proposals.services import BudgetLine


def _call(**overrides) -> Call:
    now = utcnow()
    values = dict(kind=CallKind.MICRO_LIVELIHOOD, phase=Phase.OPEN, min_grant_fen=200_000,
                  max_grant_fen=3_000_000, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1),
                  allow_registered=True, allow_grassroots=True, themes=["长者"], districts=["天河区"],
                  sections=[{"key": "problem", "title": "问题"}, {"key": "plan", "title": "计划"}],
                  required_attachments=[{"key": "a1", "title": "预算表"}])
    values.update(overrides)
    return Call(**values)


def _complete(call: Call) -> Proposal:
    proposal = Proposal(call=call, group=Group(kind=GroupKind.GRASSROOTS, name="互助队"), title="菜园",
                        summary="把空地变菜园", sections={"problem": "空地", "plan": "种菜"},
                        budget=[{"item": "种子", "unit_cost_fen": 5000, "quantity": "100"}],
                        beneficiaries=120, district="天河区", theme="长者")
    proposal.attachments = [Attachment(slot="a1", filename="b.pdf", stored_name="x", kind="pdf", size=1,
                                       sha256="0" * 64)]
    return proposal


def test_subtotals_round_half_up_in_fen():
    assert line_subtotal_fen(333, Decimal("1.5")) == 500  # 499.5 fen rounds up
    assert line_subtotal_fen(100, "3") == 300
    assert BudgetLine("x", 1999, Decimal("0.5")).subtotal_fen == 1000


def test_budget_total_within_the_calls_limits(bare_app):
    call = _call()
    assert services.budget_problems(call, [BudgetLine("种子", 5000, Decimal(100))]) == []
    assert services.budget_problems(call, [BudgetLine("a", 199_999, Decimal(1))]), "below the minimum"
    assert services.budget_problems(call, [BudgetLine("a", 3_000_001, Decimal(1))]), "above the maximum"
    assert services.budget_problems(call, [BudgetLine("a", 200_000, Decimal(1))]) == [], "minimum is allowed"
    assert services.budget_problems(call, [BudgetLine("a", 3_000_000, Decimal(1))]) == [], "maximum is allowed"
    assert services.budget_problems(call, []), "an empty budget"
    assert services.budget_problems(call, [BudgetLine("", 300_000, Decimal(1))]), "a line without an item"
    assert services.budget_problems(call, [BudgetLine("a", 300_000, Decimal(0))]), "zero quantity"


def test_a_complete_proposal_has_no_problems(bare_app):
    assert services.completeness(_complete(_call())) == []


def test_completeness_lists_everything_missing_with_its_field(bare_app):
    proposal = Proposal(call=_call(), group=Group(kind=GroupKind.GRASSROOTS, name="x"), title="", summary="",
                        sections={}, budget=[], beneficiaries=None, district="", theme="")
    fields = [p.field for p in services.completeness(proposal)]
    assert fields == ["title", "summary", "section-problem", "section-plan", "budget", "beneficiaries",
                      "district", "theme", "attachment-a1"]


def test_a_removed_attachment_no_longer_counts(bare_app):
    proposal = _complete(_call())
    proposal.attachments[0].removed_at = utcnow()
    assert [p.field for p in services.completeness(proposal)] == ["attachment-a1"]


def test_eligibility_by_kind_of_group(bare_app):
    registered_only = _call(allow_grassroots=False)
    grassroots_only = _call(allow_registered=False)
    assert services.eligibility(registered_only, Group(kind=GroupKind.GRASSROOTS))
    assert services.eligibility(registered_only, Group(kind=GroupKind.REGISTERED)) == []
    assert services.eligibility(grassroots_only, Group(kind=GroupKind.REGISTERED))
    assert services.eligibility(grassroots_only, Group(kind=GroupKind.GRASSROOTS)) == []


def test_fingerprint_covers_text_budget_and_files(bare_app):
    proposal = _complete(_call())
    base = services.fingerprint(services.snapshot(proposal))
    assert base == services.fingerprint(services.snapshot(proposal)), "stable"
    assert len(base) == 64
    proposal.sections = {"problem": "空地.", "plan": "种菜"}
    assert services.fingerprint(services.snapshot(proposal)) != base
    proposal.sections = {"problem": "空地", "plan": "种菜"}
    assert services.fingerprint(services.snapshot(proposal)) == base
    proposal.attachments[0].sha256 = "1" * 64
    assert services.fingerprint(services.snapshot(proposal)) != base
    proposal.attachments[0].sha256 = "0" * 64
    proposal.budget = [{"item": "种子", "unit_cost_fen": 5000, "quantity": "101"}]
    assert services.fingerprint(services.snapshot(proposal)) != base


def test_drafts_allowed_until_closing():
    now = utcnow()
    assert services.drafts_allowed(_call(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2)), now)
    assert not services.drafts_allowed(_call(closes_at=now), now)
    assert not services.drafts_allowed(_call(phase=Phase.DRAFT), now)
