"""A call's plan for the projects it funds: edited while the call is a
draft, frozen (with its fingerprint in the audit chain) when the call opens,
so that what groups read before applying is what their agreements will say."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.audit import services as audit
from venture.calls.models import Call, Phase
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.projects.models import ProjectPlan
from venture.projects.rules import PlanSpec, default_plan, plan_problems


def fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(audit.canonical(data)).hexdigest()


def plan_of(session: Session, call: Call) -> ProjectPlan | None:
    return session.scalar(select(ProjectPlan).where(ProjectPlan.call_id == call.id))


def spec_of(plan: ProjectPlan) -> PlanSpec:
    return PlanSpec.from_json({
        "project_months": plan.project_months, "reports": plan.reports, "tranches": plan.tranches,
        "dimensions": plan.dimensions, "satisfaction_weight": plan.satisfaction_weight,
        "budget_change_percent": str(plan.budget_change_percent),
    })


def spec_for(session: Session, call: Call) -> PlanSpec:
    """The plan as stored, or the defaults for this kind of call when none is."""
    plan = plan_of(session, call)
    return spec_of(plan) if plan is not None else default_plan(call.kind)


def _apply(plan: ProjectPlan, spec: PlanSpec, now: datetime) -> None:
    data = spec.as_json()
    plan.project_months = data["project_months"]
    plan.reports = data["reports"]
    plan.tranches = data["tranches"]
    plan.dimensions = data["dimensions"]
    plan.satisfaction_weight = data["satisfaction_weight"]
    plan.budget_change_percent = spec.budget_change_percent
    plan.updated_at = now


def plan_content(plan: ProjectPlan) -> dict[str, Any]:
    """The plan's canonical content (what is fingerprinted)."""
    return {"call": plan.call_id, **spec_of(plan).as_json()}


def save_plan(session: Session, actor: Any, call: Call, spec: PlanSpec, now: datetime | None = None) -> ProjectPlan:
    """Change the plan of a call that is still a draft."""
    now = now or utcnow()
    if call.phase is not Phase.DRAFT:
        raise DomainError(_l("Once a call is open its plan for funded projects cannot change."))
    problems = plan_problems(spec)
    if problems:
        raise problems[0]
    plan = plan_of(session, call)
    if plan is None:
        plan = ProjectPlan(call_id=call.id)
        session.add(plan)
    _apply(plan, spec, now)
    session.flush()
    audit.record(session, actor, "project_plan.saved", plan, call=call.id, fingerprint=fingerprint(plan_content(plan)))
    return plan


def freeze(session: Session, actor: Any, call: Call, now: datetime | None = None) -> ProjectPlan:
    """Fix the plan as it stands (the defaults if none was written). Called
    when the call opens, and when a result is published for a call that
    opened before plans existed. Idempotent."""
    now = now or utcnow()
    plan = plan_of(session, call)
    if plan is not None and plan.is_frozen:
        return plan
    if plan is None:
        plan = ProjectPlan(call_id=call.id)
        _apply(plan, default_plan(call.kind), now)
        session.add(plan)
    plan.frozen_at = now
    plan.fingerprint = fingerprint(plan_content(plan))
    session.flush()
    audit.record(session, actor, "project_plan.frozen", plan, call=call.id, fingerprint=plan.fingerprint,
                 at=now.isoformat())
    return plan
