"""The two-year bar after a failed evaluation, as the rest of the platform
asks about it: when a group starts or submits a proposal to a body's call,
and when organizers screen proposals."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from venture.core.l10n import lazy_gettext as _l
from venture.core.timeutil import utcnow
from venture.projects.models import ParticipationBar


def active_bar(session: Session, body_id: int, group_id: int, now: datetime | None = None) -> ParticipationBar | None:
    """The bar keeping this group from this body's calls at ``now``, if any (the one ending last)."""
    now = now or utcnow()
    bars = session.scalars(select(ParticipationBar).where(
        ParticipationBar.body_id == body_id, ParticipationBar.group_id == group_id,
        ParticipationBar.lifted_at.is_(None), ParticipationBar.starts_at <= now, ParticipationBar.ends_at > now)
        .order_by(ParticipationBar.ends_at.desc())).all()
    return bars[0] if bars else None


def _day(bar: ParticipationBar) -> str:
    from venture.core.formatting import format_day

    return format_day(bar.last_day, "long")


def bar_problem(session: Session, body_id: int, group: Any, now: datetime | None = None) -> Any:
    """The refusal to show when a barred group starts or submits a proposal, or None."""
    bar = active_bar(session, body_id, group.id, now)
    if bar is None:
        return None
    project, evaluation = bar.project, bar.evaluation
    if project is not None and evaluation is not None and evaluation.score is not None:
        return _l("%(group)s may not apply to this organizer's calls until %(day)s (included): its project "
                  "“%(title)s” (%(number)s) failed its %(stage)s with %(score)s points.",
                  group=group.name, day=_day(bar), title=project.title, number=project.number,
                  stage=evaluation.stage.label.lower(), score=format(evaluation.score, "f"))
    return _l("%(group)s may not apply to this organizer's calls until %(day)s (included).",
              group=group.name, day=_day(bar))


def _unlifted_bars(session: Session, body_id: int) -> list[ParticipationBar]:
    """Every bar of a body not lifted, read once per request (a screening page asks for each proposal)."""
    cache = g.setdefault("_venture_unlifted_bars", {}) if has_request_context() else {}
    if body_id not in cache:
        cache[body_id] = list(session.scalars(select(ParticipationBar).where(
            ParticipationBar.body_id == body_id, ParticipationBar.lifted_at.is_(None))))
    return cache[body_id]


def screening_check(proposal: Any) -> Any:
    """The automatic screening check for a group with a bar from this body: it
    fails when the bar held at the proposal's latest submission or holds now.
    None for a group that was never barred (there is nothing to check)."""
    from venture.screening.services import Check

    session = object_session(proposal)
    assert session is not None
    latest = proposal.latest_version
    moments = [utcnow()] + ([latest.submitted_at] if latest is not None else [])
    bars = [bar for bar in _unlifted_bars(session, proposal.call.body_id) if bar.group_id == proposal.group_id]
    if not bars:
        return None
    bar = next((bar for moment in moments for bar in bars if bar.is_active(moment)), None)
    if bar is None:
        return Check("bar", _l("Not barred by a failed evaluation"), True, _l("the bar has ended"))
    return Check("bar", _l("Not barred by a failed evaluation"), False,
                 _l("barred until %(day)s", day=_day(bar)))
