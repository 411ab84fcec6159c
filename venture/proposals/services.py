"""Every change to a proposal: check, change, audit, flush.

Rules as plain functions (``completeness``, ``eligibility``, ``snapshot``,
``fingerprint``) so they are tested without a request; the clock is an
argument wherever time decides.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.audit import services as audit
from venture.calls.models import Call, Phase
from venture.core.errors import DomainError
from venture.core.l10n import lazy_gettext as _l
from venture.core.numbers import plain
from venture.core.timeutil import utcnow
from venture.core.tokens import new_token, token_digest
from venture.groups.models import Group, GroupKind
from venture.mail import services as mail
from venture.proposals import cleaning, face, files, leaks, storage
from venture.proposals.models import (
    Attachment,
    Proposal,
    ProposalStatus,
    ProposalVersion,
    ReceiptCounter,
    StashedForm,
    line_subtotal_fen,
)
from venture.search import services as search

MAX_BUDGET_LINES = 60
MAX_SECTION_CHARS = 20_000


class EditConflict(DomainError):
    """Someone else saved the proposal after this editor loaded it."""

    def __init__(self, proposal: Proposal) -> None:
        who = proposal.updated_by.public_name if proposal.updated_by else ""
        super().__init__(_l("%(who)s saved this proposal while you were editing it. Your text is "
                            "still in the form below; their version is shown under it. Merge the "
                            "two, then save again.", who=who or _l("Another member")))
        self.proposal = proposal


@dataclass
class Problem:
    """Something that keeps a proposal from being submitted, tied to a field."""

    field: str
    message: Any


@dataclass
class BudgetLine:
    item: str
    unit_cost_fen: int
    quantity: Decimal

    @property
    def subtotal_fen(self) -> int:
        return line_subtotal_fen(self.unit_cost_fen, self.quantity)


@dataclass
class DraftContent:
    title: str = ""
    summary: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    budget: list[BudgetLine] = field(default_factory=list)
    beneficiaries: int | None = None
    district: str = ""
    theme: str = ""


# Rules -------------------------------------------------------------------------------

def drafts_allowed(call: Call, now: datetime) -> bool:
    """Groups write drafts from publication until the closing time."""
    return call.phase is Phase.OPEN and now < call.closes_at


def eligibility(call: Call, group: Group) -> list[Problem]:
    if group.kind is GroupKind.REGISTERED and not call.allow_registered:
        return [Problem("group", _l("This call is only for grassroots groups."))]
    if group.kind is GroupKind.GRASSROOTS and not call.allow_grassroots:
        return [Problem("group", _l("This call is only for registered organisations."))]
    return []


def budget_problems(call: Call, lines: list[BudgetLine] | list[dict[str, Any]]) -> list[Problem]:
    parsed = [line if isinstance(line, BudgetLine) else
              BudgetLine(line["item"], int(line["unit_cost_fen"]), Decimal(str(line["quantity"])))
              for line in lines]
    if not parsed:
        return [Problem("budget", _l("Add at least one line to the budget."))]
    found = []
    for index, line in enumerate(parsed):
        if not line.item.strip() or line.unit_cost_fen <= 0 or line.quantity <= 0:
            found.append(Problem(f"budget-{index}", _l("Budget line %(n)d needs an item, a unit cost and a "
                                                       "quantity above zero.", n=index + 1)))
    total = sum(line.subtotal_fen for line in parsed)
    if total < call.min_grant_fen or total > call.max_grant_fen:
        from venture.core.formatting import format_money

        found.append(Problem("budget", _l("The budget total is %(total)s; this call funds between "
                                          "%(low)s and %(high)s.", total=format_money(total),
                                          low=format_money(call.min_grant_fen),
                                          high=format_money(call.max_grant_fen))))
    return found


def completeness(proposal: Proposal) -> list[Problem]:
    """Everything missing before the proposal can be submitted, in form order."""
    call = proposal.call
    found: list[Problem] = []
    if not proposal.title.strip():
        found.append(Problem("title", _l("Give the proposal a title.")))
    if not proposal.summary.strip():
        found.append(Problem("summary", _l("Write a short summary.")))
    for section in call.sections:
        if not (proposal.sections.get(section["key"]) or "").strip():
            found.append(Problem(f"section-{section['key']}",
                                 _l("Fill in the section “%(title)s”.", title=section["title"])))
    found.extend(budget_problems(call, proposal.budget))
    if not proposal.beneficiaries or proposal.beneficiaries <= 0:
        found.append(Problem("beneficiaries", _l("Say how many people will benefit.")))
    if call.districts and proposal.district not in call.districts:
        found.append(Problem("district", _l("Choose the district where the project takes place.")))
    if call.themes and proposal.theme not in call.themes:
        found.append(Problem("theme", _l("Choose the theme of the project.")))
    present = {a.slot for a in proposal.current_attachments}
    for required in call.required_attachments:
        if required["key"] not in present:
            found.append(Problem(f"attachment-{required['key']}",
                                 _l("Attach “%(title)s”.", title=required["title"])))
    return found


def submission_problems(proposal: Proposal, now: datetime) -> list[Problem]:
    return eligibility(proposal.call, proposal.group) + completeness(proposal)


def snapshot(proposal: Proposal) -> dict[str, Any]:
    """The content of a submission, in a canonical form for fingerprinting."""
    return {
        "call": proposal.call_id,
        "title": proposal.title,
        "summary": proposal.summary,
        "sections": [{"key": s["key"], "title": s["title"], "text": proposal.sections.get(s["key"], "")}
                     for s in proposal.call.sections],
        "budget": [{"item": line["item"], "unit_cost_fen": int(line["unit_cost_fen"]),
                    "quantity": str(line["quantity"]),
                    "subtotal_fen": line_subtotal_fen(line["unit_cost_fen"], line["quantity"])}
                   for line in proposal.budget],
        "requested_fen": proposal.budget_total_fen,
        "beneficiaries": proposal.beneficiaries,
        "district": proposal.district,
        "theme": proposal.theme,
        "attachments": [{"id": a.id, "slot": a.slot, "filename": a.filename, "kind": a.kind,
                         "size": a.size, "sha256": a.sha256} for a in proposal.current_attachments],
    }


def fingerprint(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def has_unsubmitted_changes(proposal: Proposal) -> bool:
    latest = proposal.latest_version
    return latest is None or latest.fingerprint != fingerprint(snapshot(proposal))


def identity_of(group: Group) -> leaks.Identity:
    """What would name the group: its names, contact, code and its members
    (see ``venture.proposals.face``)."""
    return face.identity_of(group)


def leak_findings(proposal: Proposal) -> list[leaks.Finding]:
    """Places where the proposal may reveal who wrote it (review is blind)."""
    texts: dict[str, str] = {"title": proposal.title, "summary": proposal.summary}
    for section in proposal.call.sections:
        texts[f"section:{section['key']}"] = proposal.sections.get(section["key"], "")
    for index, line in enumerate(proposal.budget):
        texts[f"budget:{index + 1}"] = line["item"]
    for attachment in proposal.current_attachments:
        texts[f"attachment:{attachment.id}:name"] = attachment.filename
        try:
            data = storage.read(attachment.stored_name)
        except OSError:
            continue
        kind = files.FileKind(attachment.kind)
        texts[f"attachment:{attachment.id}:text"] = files.extract_text(kind, data)
        texts[f"attachment:{attachment.id}:metadata"] = "\n".join(files.extract_metadata(kind, data).values())
    return leaks.find_leaks(texts, identity_of(proposal.group))


# Changes -------------------------------------------------------------------------------

def _require_editable(proposal: Proposal, now: datetime) -> None:
    if not drafts_allowed(proposal.call, now):
        raise DomainError(_l("The call closed at %(when)s. Nothing can be changed any more.",
                             when=_when(proposal.call.closes_at)))


def _when(moment: datetime) -> str:
    from venture.core.formatting import format_moment

    return format_moment(moment, "medium")


def _refuse_barred(session: Session, call: Call, group: Group, now: datetime) -> None:
    """A group whose project failed an evaluation may not apply to that body's calls for two years."""
    from venture.projects.bars import bar_problem

    barred = bar_problem(session, call.body_id, group, now)
    if barred is not None:
        raise DomainError(barred, "group")


def start_proposal(session: Session, actor: User, call: Call, group: Group,
                   now: datetime | None = None) -> Proposal:
    now = now or utcnow()
    if not drafts_allowed(call, now):
        raise DomainError(_l("This call is not open for proposals."))
    problems = eligibility(call, group)
    if problems:
        raise DomainError(problems[0].message, "group")
    _refuse_barred(session, call, group, now)
    existing = session.scalar(select(Proposal).where(Proposal.call_id == call.id, Proposal.group_id == group.id))
    if existing is not None:
        raise DomainError(_l("%(group)s already has a proposal for this call.", group=group.name), "group")
    proposal = Proposal(call=call, group=group, created_by_id=actor.id, updated_by_id=actor.id,
                        created_at=now, updated_at=now,
                        sections={s["key"]: "" for s in call.sections})
    try:
        with session.begin_nested():
            session.add(proposal)
            session.flush()
    except IntegrityError:  # another member started one at the same moment
        raise DomainError(_l("%(group)s already has a proposal for this call.", group=group.name), "group") from None
    audit.record(session, actor, "proposal.started", proposal, call=call.id, group=group.id)
    return proposal


def save_draft(session: Session, actor: User, proposal: Proposal, content: DraftContent,
               expected_version: int, now: datetime | None = None) -> None:
    """Save the working copy. ``expected_version`` is the lock version the
    editor loaded; if someone saved since, nothing is overwritten."""
    now = now or utcnow()
    _require_editable(proposal, now)
    if expected_version != proposal.lock_version:
        raise EditConflict(proposal)
    if len(content.budget) > MAX_BUDGET_LINES:
        raise DomainError(_l("A budget has at most %(n)d lines.", n=MAX_BUDGET_LINES), "budget")
    keys = {s["key"] for s in proposal.call.sections}
    proposal.title = content.title.strip()
    proposal.summary = content.summary.strip()
    proposal.sections = {key: (content.sections.get(key) or "")[:MAX_SECTION_CHARS] for key in keys}
    proposal.budget = [{"item": line.item.strip(), "unit_cost_fen": line.unit_cost_fen,
                        "quantity": plain(line.quantity)} for line in content.budget]
    proposal.requested_fen = max(0, proposal.budget_total_fen)
    proposal.beneficiaries = content.beneficiaries
    proposal.district = content.district
    proposal.theme = content.theme
    proposal.updated_at = now
    proposal.updated_by_id = actor.id
    session.flush()


def add_attachment(session: Session, actor: User, proposal: Proposal, slot: str, filename: str,
                   data: bytes, now: datetime | None = None) -> Attachment:
    now = now or utcnow()
    _require_editable(proposal, now)
    config = current_app.config
    slots = {a["key"] for a in proposal.call.required_attachments} | {"other"}
    if slot not in slots:
        raise DomainError(_l("Choose what this file is."), "slot")
    try:
        kind = files.check_upload(filename, data, config["ATTACHMENT_MAX_BYTES"])
        data = cleaning.clean(kind, data)  # only the cleaned file is kept
    except files.UploadRejected as rejected:
        raise DomainError(rejected.message, "file") from None
    used = sum(a.size for a in proposal.current_attachments)
    if used + len(data) > config["PROPOSAL_ATTACHMENTS_MAX_BYTES"]:
        raise DomainError(_l("The attachments of a proposal may add up to %(mb)d MB; remove a file "
                             "first.", mb=config["PROPOSAL_ATTACHMENTS_MAX_BYTES"] // (1024 * 1024)), "file")
    # A required slot holds one file: a new upload replaces the old one in the draft.
    if slot != "other":
        for old in proposal.current_attachments:
            if old.slot == slot:
                old.removed_at = now
    stored = storage.store(data)
    attachment = Attachment(proposal=proposal, slot=slot, filename=files.safe_filename(filename),
                            stored_name=stored, kind=kind.value, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), cleaner_version=cleaning.CLEANER_VERSION,
                            uploaded_at=now, uploaded_by_id=actor.id)
    session.add(attachment)
    proposal.updated_at = now
    proposal.updated_by_id = actor.id
    session.flush()
    audit.record(session, actor, "proposal.attachment_added", proposal, attachment=attachment.id,
                 sha256=attachment.sha256, size=attachment.size)
    return attachment


def remove_attachment(session: Session, actor: User, attachment: Attachment,
                      now: datetime | None = None) -> None:
    now = now or utcnow()
    proposal = attachment.proposal
    _require_editable(proposal, now)
    if attachment.removed_at is None:
        attachment.removed_at = now
        proposal.updated_at = now
        proposal.updated_by_id = actor.id
        session.flush()
        audit.record(session, actor, "proposal.attachment_removed", proposal, attachment=attachment.id)


def set_attachment_public(session: Session, actor: User, attachment: Attachment, public: bool) -> None:
    """The group chooses which files residents may see on the public page."""
    attachment.is_public = public
    session.flush()
    audit.record(session, actor, "proposal.attachment_visibility", attachment.proposal,
                 attachment=attachment.id, public=public)
    search.enqueue(session, "proposal", attachment.proposal_id)


def _next_number(session: Session, call: Call, now: datetime) -> str:
    year = now.year
    code = call.kind.code
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(ReceiptCounter).values(year=year, code=code, last=0)
                        .on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(ReceiptCounter).values(year=year, code=code, last=0)
                        .on_conflict_do_nothing())
    last = session.execute(
        update(ReceiptCounter).where(ReceiptCounter.year == year, ReceiptCounter.code == code)
        .values(last=ReceiptCounter.last + 1).returning(ReceiptCounter.last)).scalar_one()
    return f"{year}-{code}-{last:04d}"


def submit(session: Session, actor: User, proposal: Proposal, *, confirmed_warnings: bool,
           now: datetime | None = None) -> ProposalVersion:
    """Freeze the working copy as a new version with its receipt."""
    now = now or utcnow()
    call = proposal.call
    if not call.is_accepting(now):
        if now < call.opens_at:
            raise DomainError(_l("Submissions open at %(when)s.", when=_when(call.opens_at)))
        raise DomainError(_l("The call closed at %(when)s. Nothing can be submitted any more.",
                             when=_when(call.closes_at)))
    problems = submission_problems(proposal, now)
    if problems:
        raise DomainError(problems[0].message, problems[0].field)
    _refuse_barred(session, call, proposal.group, now)
    if proposal.status is ProposalStatus.SUBMITTED and not has_unsubmitted_changes(proposal):
        raise DomainError(_l("Nothing has changed since your last submission."))
    if not confirmed_warnings and leak_findings(proposal):
        raise DomainError(_l("Check the warnings about details that could identify your group, "
                             "then confirm."), "confirm_warnings")
    # Who the group is now, frozen with the version (read before the number is set: it loads the members).
    identity = face.frozen_identity(proposal.group)
    if proposal.number is None:
        proposal.number = _next_number(session, call, now)
    content = snapshot(proposal)
    version = ProposalVersion(proposal=proposal, version_no=proposal.version_count + 1, number=proposal.number,
                              submitted_at=now, submitted_by_id=actor.id, content=content,
                              fingerprint=fingerprint(content), identity=identity)
    session.add(version)
    previous = proposal.status
    proposal.status = ProposalStatus.SUBMITTED
    proposal.version_count += 1
    proposal.submitted_at = now
    session.flush()
    search.enqueue(session, "proposal", proposal.id)
    audit.record(session, actor, "proposal.submitted", proposal, number=proposal.number,
                 version=version.version_no, fingerprint=version.fingerprint,
                 submitted_at=now.isoformat(), **{"from": previous.value})
    if previous is not ProposalStatus.SUBMITTED:  # the group is now an applicant: ties with it count
        from venture.panels import conflicts

        conflicts.rederive(session, actor, "proposal.submitted", groups=[proposal.group_id])
    for membership in proposal.group.memberships:
        if membership.user.email:
            mail.queue(session, membership.user.email, "receipt", membership.user.locale,
                       proposal=proposal, version=version, call=call)
    return version


def withdraw(session: Session, actor: User, proposal: Proposal, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not proposal.call.is_accepting(now):
        raise DomainError(_l("The call closed at %(when)s. Nothing can be withdrawn any more.",
                             when=_when(proposal.call.closes_at)))
    if proposal.status is not ProposalStatus.SUBMITTED:
        raise DomainError(_l("Only a submitted proposal can be withdrawn."))
    proposal.status = ProposalStatus.WITHDRAWN
    session.flush()
    search.enqueue(session, "proposal", proposal.id)
    audit.record(session, actor, "proposal.withdrawn", proposal, number=proposal.number,
                 at=now.isoformat())


# Drafts typed after the sign-in expired ------------------------------------------------------

STASH_HOURS = 48


def stash_form(session: Session, proposal_id: int, data: dict[str, Any], browser_token: str) -> str:
    token = new_token()
    session.add(StashedForm(token_digest=token_digest(token), browser_digest=token_digest(browser_token),
                            proposal_id=proposal_id, data=data,
                            expires_at=utcnow() + timedelta(hours=STASH_HOURS)))
    session.flush()
    return token


def take_stash(session: Session, token: str, browser_token: str | None,
               proposal_id: int) -> dict[str, Any] | None:
    """The stashed form, for the browser that stashed it; expired stashes are
    refused (and swept by ``sweep_stashes``)."""
    found = session.scalar(select(StashedForm).where(StashedForm.token_digest == token_digest(token)))
    if (found is None or browser_token is None or found.proposal_id != proposal_id
            or found.browser_digest != token_digest(browser_token) or found.expires_at <= utcnow()):
        return None
    return dict(found.data)


def sweep_stashes(session: Session) -> int:
    from sqlalchemy import delete

    return session.execute(delete(StashedForm).where(StashedForm.expires_at <= utcnow())).rowcount or 0


def parse_quantity(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


