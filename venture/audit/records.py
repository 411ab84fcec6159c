"""Stored rows and files checked against the audit chain.

The chain proves that the log was not altered; this proves that what the log
says still matches the rows and files people read, in both directions: every
row the chain vouches for matches its audited event (and its own
fingerprint), and every audited event still has its row. Checked:

- proposal versions (content, fingerprint, time, receipt) and the proposal's
  status and receipt number;
- review versions (content, total, time) and the review's status;
- screening decisions (the outcome and the reason's digest);
- panel draws (seed, request, pool snapshot, chosen experts, shortfalls);
- assignments (who got which proposal, with which seed; which ended and why);
- funding adjustments, component scores and frozen result records;
- objections (text, status, answer) and their attached files;
- every uploaded file, re-hashed on disk against its digest;
- each call's published rules, frozen into the audit entry that opened it.

A score, a time, an amount, a rule or a file changed behind the application's
back, a row deleted or put back to an earlier state, or a row inserted
without its event, is named. Run it after the chain walk (``flask --app
venture audit verify`` does): the events are only worth trusting once the
chain holds.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from venture.audit.models import AuditEvent
from venture.audit.services import canonical

Events = dict[tuple[str, int | None], list[AuditEvent]]


@dataclass
class Problem:
    table: str
    row_id: int | None
    what: str
    missing: bool = False

    def __str__(self) -> str:
        if self.missing:
            return f"MISSING from {self.table}: {self.what}"
        return f"MISMATCH in {self.table} row {self.row_id}: {self.what}"


@dataclass
class RecordCheck:
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Attachment id -> (digest, where) as the submitted versions list them.
    version_files: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    # The first problem, for callers that report one line (backup restore).
    @property
    def table(self) -> str:
        return self.problems[0].table if self.problems else ""

    @property
    def row_id(self) -> int | None:
        return self.problems[0].row_id if self.problems else None

    @property
    def what(self) -> str:
        return self.problems[0].what if self.problems else ""

    def bad(self, table: str, row_id: int | None, what: str) -> None:
        self.problems.append(Problem(table, row_id, what))

    def gone(self, table: str, what: str) -> None:
        self.problems.append(Problem(table, None, what, missing=True))

    def __str__(self) -> str:
        if self.ok:
            return f"{self.checked} stored records match the chain"
        return "; ".join(str(p) for p in self.problems)


def _events(session: Session, actions: Iterable[str]) -> Events:
    """Events of these actions by object, oldest first."""
    found: Events = {}
    for event in session.scalars(select(AuditEvent).where(AuditEvent.action.in_(list(actions)))
                                 .order_by(AuditEvent.seq)):
        found.setdefault((event.object_type, event.object_id), []).append(event)
    return found


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _same_moment(a: Any, b: Any) -> bool:
    first, second = _moment(a), _moment(b)
    if first is None or second is None:
        return False
    if (first.tzinfo is None) != (second.tzinfo is None):
        return False
    return first == second


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _same_json(a: Any, b: Any) -> bool:
    return canonical({"v": a}) == canonical({"v": b})


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "…"


# Submissions ------------------------------------------------------------------------------

def _proposal_versions(session: Session, report: RecordCheck) -> None:
    from venture.proposals.models import Proposal, ProposalStatus, ProposalVersion
    from venture.proposals.services import fingerprint

    table = ProposalVersion.__tablename__
    events = _events(session, ["proposal.submitted", "proposal.withdrawn"])
    seen: set[tuple[int, int]] = set()
    for version in session.scalars(select(ProposalVersion).order_by(ProposalVersion.id)).yield_per(500):
        seen.add((version.proposal_id, version.version_no))
        report.checked += 1
        for item in version.content.get("attachments") or []:
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                report.version_files[item["id"]] = (str(item.get("sha256")), version.receipt_label)
        if fingerprint(version.content) != version.fingerprint:
            report.bad(table, version.id, "the content does not match its fingerprint")
            continue
        event = next((e for e in events.get(("proposals", version.proposal_id), [])
                      if e.action == "proposal.submitted" and e.data.get("version") == version.version_no), None)
        if event is None:
            report.bad(table, version.id, "no audited submission for this version")
        elif event.data.get("fingerprint") != version.fingerprint:
            report.bad(table, version.id, f"the fingerprint differs from audit entry {event.seq}")
        elif not _same_moment(event.data.get("submitted_at"), version.submitted_at):
            report.bad(table, version.id, f"the submission time differs from audit entry {event.seq}")
        elif "number" in event.data and event.data["number"] != version.number:
            report.bad(table, version.id, f"the receipt number differs from audit entry {event.seq}")

    rows = {pid: (status, number) for pid, status, number in
            session.execute(select(Proposal.id, Proposal.status, Proposal.number))}
    for (object_type, proposal_id), history in events.items():
        if object_type != Proposal.__tablename__ or proposal_id is None:
            continue
        submitted = [e for e in history if e.action == "proposal.submitted"]
        if not submitted:
            continue
        number = submitted[-1].data.get("number")
        if proposal_id not in rows:
            report.gone(Proposal.__tablename__, f"proposal {proposal_id} (receipt {number}), submitted in audit "
                                                f"entry {submitted[0].seq}, with its {len(submitted)} version(s)")
            continue
        for event in submitted:
            if (proposal_id, event.data.get("version")) not in seen:
                report.gone(table, f"version {event.data.get('version')} of proposal {proposal_id} (receipt "
                                   f"{event.data.get('number')}), submitted in audit entry {event.seq}")
        status, stored_number = rows[proposal_id]
        last = history[-1]
        expected = ProposalStatus.WITHDRAWN if last.action == "proposal.withdrawn" else ProposalStatus.SUBMITTED
        if status is not expected:
            report.bad(Proposal.__tablename__, proposal_id,
                       f"the status is {status.value}, but audit entry {last.seq} left it {expected.value}")
        elif stored_number != number:
            report.bad(Proposal.__tablename__, proposal_id,
                       f"the receipt number is {stored_number}, but audit entry {submitted[-1].seq} gave {number}")


def _review_versions(session: Session, report: RecordCheck) -> None:
    from venture.review.models import Review, ReviewStatus, ReviewVersion
    from venture.review.scoring import fingerprint

    table = ReviewVersion.__tablename__
    events = _events(session, ["review.submitted"])
    seen: set[tuple[int, int]] = set()
    for version in session.scalars(select(ReviewVersion).order_by(ReviewVersion.id)).yield_per(500):
        seen.add((version.review_id, version.version_no))
        report.checked += 1
        if fingerprint(version.content) != version.fingerprint:
            report.bad(table, version.id, "the content (scores, reasons, comments) does not match its fingerprint")
            continue
        if _decimal(version.content.get("total")) != _decimal(version.total):
            report.bad(table, version.id, "the total differs from the submitted content")
            continue
        event = next((e for e in events.get(("reviews", version.review_id), [])
                      if e.data.get("version") == version.version_no), None)
        if event is None:
            report.bad(table, version.id, "no audited submission for this version")
        elif event.data.get("fingerprint") != version.fingerprint:
            report.bad(table, version.id, f"the fingerprint differs from audit entry {event.seq}")
        elif _decimal(event.data.get("total")) != _decimal(version.total):
            report.bad(table, version.id, f"the total differs from audit entry {event.seq}")
        elif "submitted_at" in event.data and not _same_moment(event.data["submitted_at"], version.submitted_at):
            report.bad(table, version.id, f"the submission time differs from audit entry {event.seq}")

    rows = {rid: (status, count) for rid, status, count in
            session.execute(select(Review.id, Review.status, Review.version_count))}
    for (object_type, review_id), history in events.items():
        if object_type != Review.__tablename__ or review_id is None:
            continue
        if review_id not in rows:
            report.gone(Review.__tablename__, f"review {review_id} (assignment {history[0].data.get('assignment')}), "
                                              f"submitted in audit entry {history[0].seq}, with its "
                                              f"{len(history)} version(s)")
            continue
        for event in history:
            if (review_id, event.data.get("version")) not in seen:
                report.gone(table, f"version {event.data.get('version')} of review {review_id} (assignment "
                                   f"{event.data.get('assignment')}, total {event.data.get('total')}), "
                                   f"submitted in audit entry {event.seq}")
        status, count = rows[review_id]
        if status is not ReviewStatus.SUBMITTED or count != len(history):
            report.bad(Review.__tablename__, review_id,
                       f"the review is {status.value} with {count} version(s), but the chain has {len(history)} "
                       f"submission(s), the last in audit entry {history[-1].seq}")


def _screening(session: Session, report: RecordCheck) -> None:
    from venture.proposals.models import Proposal, Screening

    table = Proposal.__tablename__
    events = _events(session, ["proposal.screened"])
    screened = {key[1]: history[-1] for key, history in events.items() if key[0] == table}
    rows = session.execute(select(Proposal.id, Proposal.screening, Proposal.screening_reason,
                                  Proposal.screening_category)
                           .where(Proposal.screening != Screening.PENDING)).all()
    decided = {row[0] for row in rows}
    for proposal_id, screening, reason, category in rows:
        report.checked += 1
        event = screened.get(proposal_id)
        if event is None:
            report.bad(table, proposal_id, f"the screening decision ({screening.value}) has no audit entry")
        elif event.data.get("to") != screening.value:
            report.bad(table, proposal_id, f"the screening decision is {screening.value}, but audit entry "
                                           f"{event.seq} recorded {event.data.get('to')}")
        elif "reason_sha256" in event.data and event.data["reason_sha256"] != _sha256(reason or ""):
            report.bad(table, proposal_id, f"the screening reason differs from audit entry {event.seq}")
        elif "category" in event.data and event.data["category"] != (category or ""):
            report.bad(table, proposal_id, f"the screening category differs from audit entry {event.seq}")
    existing = {pid for (pid,) in session.execute(select(Proposal.id).where(Proposal.id.in_(
        [p for p in screened if p not in decided] or [-1])))}
    for proposal_id, event in screened.items():
        if proposal_id in existing:
            report.bad(table, proposal_id, f"not screened any more, but audit entry {event.seq} recorded "
                                           f"{event.data.get('to')}")


# The panel ----------------------------------------------------------------------------------

# Audit data key -> the draw row's attribute.
DRAW_FIELDS = {"call": "call_id", "seed": "seed", "size": "size", "minimums": "minimums", "pool": "pool_snapshot",
               "chosen": "chosen", "shortfalls": "shortfalls", "replaces_member": "replaces_member_id",
               "method": "method", "chain_seq": "chain_seq", "chain_head": "chain_head",
               "parent_draw": "parent_draw_id"}


def _draw_differs(data: dict[str, Any], row: Any) -> str | None:
    """The first published fact of a draw that its row no longer shows, or None."""
    if "replaces_member" not in data and row.replaces_member_id is not None:
        return "replaced member"
    for key, attribute in DRAW_FIELDS.items():
        if key in data and not _same_json(data[key], getattr(row, attribute)):
            return key
    if "commitment" in data and data["commitment"].get("id") != row.commitment_id:
        return "commitment"
    if "witnesses" in data:
        recorded = [{"name_sha256": _sha256(w.get("name", "")), "role": w.get("role"), "value": w.get("value")}
                    for w in row.witnesses or []]
        if not _same_json(data["witnesses"], recorded):
            return "witnesses"
    return None


def _draws(session: Session, report: RecordCheck) -> None:
    from venture.review.models import DrawCommitment, PanelDraw

    table = PanelDraw.__tablename__
    events = _events(session, ["panel.drawn", "panel.replacement_drawn", "panel.draw_discarded"])
    seen = set()
    for row in session.scalars(select(PanelDraw).order_by(PanelDraw.id)):
        seen.add(row.id)
        report.checked += 1
        history = [e for e in events.get((table, row.id), []) if e.action != "panel.draw_discarded"]
        if not history:
            report.bad(table, row.id, "no audit entry recorded this draw")
            continue
        differs = _draw_differs(history[0].data, row)
        if differs:
            report.bad(table, row.id, f"the {differs} differs from audit entry {history[0].seq}")
            continue
        discarded = [e for e in events.get((table, row.id), []) if e.action == "panel.draw_discarded"]
        if discarded and row.discarded_at is None:
            report.bad(table, row.id, f"audit entry {discarded[0].seq} discarded this draw, but it counts again")
        elif row.discarded_at is not None and not discarded:
            report.bad(table, row.id, "the draw is marked discarded, but no audit entry discarded it")
    for (object_type, draw_id), history in events.items():
        if object_type == table and draw_id not in seen:
            report.gone(table, f"panel draw {draw_id} of call {history[0].data.get('call')} (seed "
                               f"{history[0].data.get('seed')}), recorded in audit entry {history[0].seq}")

    table = DrawCommitment.__tablename__
    committed = _events(session, ["panel.draw_committed"])
    rows = {c.id: c for c in session.scalars(select(DrawCommitment))}
    for (object_type, commitment_id), history in committed.items():
        if object_type != table:
            continue
        report.checked += 1
        row = rows.pop(commitment_id, None)
        if row is None:
            report.gone(table, f"draw commitment {commitment_id} of call {history[0].data.get('call')} (digest "
                               f"{history[0].data.get('digest')}), published in audit entry {history[0].seq}")
        elif row.digest != history[0].data.get("digest") or row.call_id != history[0].data.get("call"):
            report.bad(table, commitment_id, f"the digest or call differs from audit entry {history[0].seq}")
    for commitment_id in sorted(rows):
        report.bad(table, commitment_id, "no audit entry published this commitment")


def _assignments(session: Session, report: RecordCheck) -> None:
    """Who reviews what, replayed from the events that make and end assignments."""
    from venture.review.models import Assignment

    table = Assignment.__tablename__
    events = _events(session, ["assignments.made", "assignment.moved", "assignment.redistributed",
                               "panel.member_withdrew"])
    made: dict[tuple[int, int], list[tuple[int, str | None]]] = defaultdict(list)  # (proposal, member) -> (seq, seed)
    by_id: dict[int, tuple[int, int, int]] = {}  # id -> (seq, proposal, member)
    ended: dict[int, tuple[int, str]] = {}  # id -> (seq, reason)
    for history in events.values():
        for event in history:
            data = event.data
            if event.action == "assignments.made":
                for proposal, member in data.get("pairs") or []:
                    made[(proposal, member)].append((event.seq, data.get("seed")))
            elif event.action == "assignment.redistributed":
                for proposal, member in data.get("moves") or []:
                    made[(proposal, member)].append((event.seq, data.get("seed")))
                for ended_id in data.get("ended") or []:
                    ended[ended_id] = (event.seq, str(data.get("cause") or "")[:300])
            elif event.action == "assignment.moved":
                if event.object_id is not None:
                    by_id[event.object_id] = (event.seq, data.get("proposal"), data.get("to"))
                if data.get("ended") is not None:
                    ended[data["ended"]] = (event.seq, "moved")
            elif event.action == "panel.member_withdrew":
                for ended_id in data.get("ended") or []:
                    ended.setdefault(ended_id, (event.seq, "withdrew"))

    rows = session.execute(select(Assignment.id, Assignment.proposal_id, Assignment.member_id, Assignment.seed,
                                  Assignment.ended_at, Assignment.ended_reason).order_by(Assignment.id)).all()
    present = {row.id for row in rows}
    unexplained: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in rows:
        report.checked += 1
        origin = by_id.get(row.id)
        if origin is not None:
            if (origin[1], origin[2]) != (row.proposal_id, row.member_id):
                report.bad(table, row.id, f"the proposal or reviewer differs from audit entry {origin[0]}")
        else:
            unexplained[(row.proposal_id, row.member_id)].append(row)
        if row.ended_at is not None and row.id not in ended:
            report.bad(table, row.id, "the assignment is ended, but no audit entry ended it")
        elif row.id in ended and row.ended_at is None:
            report.bad(table, row.id, f"audit entry {ended[row.id][0]} ended this assignment, but it is active again")
        elif row.id in ended and (row.ended_reason or "") != ended[row.id][1]:
            report.bad(table, row.id, f"the reason it ended differs from audit entry {ended[row.id][0]}")
    for key in sorted(set(made) | set(unexplained)):
        expected, stored = made.get(key, []), unexplained.get(key, [])
        for (seq, seed), row in zip(expected, stored, strict=False):
            if seed is not None and (row.seed or "") != seed:
                report.bad(table, row.id, f"the seed differs from audit entry {seq}")
        for seq, _seed in expected[len(stored):]:
            report.gone(table, f"the assignment of proposal {key[0]} to panel member {key[1]}, made in audit "
                               f"entry {seq}")
        for row in stored[len(expected):]:
            report.bad(table, row.id, f"no audit entry gave proposal {key[0]} to panel member {key[1]}")
    for assignment_id, (seq, proposal, member) in sorted(by_id.items()):
        if assignment_id not in present:
            report.gone(table, f"assignment {assignment_id} (proposal {proposal} to panel member {member}), "
                               f"made in audit entry {seq}")
    for assignment_id, (seq, _reason) in sorted(ended.items()):
        if assignment_id not in present and assignment_id not in by_id:
            report.gone(table, f"assignment {assignment_id}, ended in audit entry {seq}")


# Results -------------------------------------------------------------------------------------

def _result_records(session: Session, report: RecordCheck) -> None:
    from venture.results.models import ResultRecord, ResultStage

    table = ResultRecord.__tablename__
    events = _events(session, ["results.proposed", "results.published"])
    records = list(session.scalars(select(ResultRecord).order_by(ResultRecord.id)))
    seqs = [r.chain_seq for r in records if r.chain_seq is not None]
    by_seq = dict(session.execute(select(AuditEvent.seq, AuditEvent.entry_hash)
                                  .where(AuditEvent.seq.in_(seqs))).all()) if seqs else {}
    for record in records:
        report.checked += 1
        if hashlib.sha256(canonical(record.content)).hexdigest() != record.fingerprint:
            report.bad(table, record.id, "the content (lines, scores, amounts) does not match its fingerprint")
            continue
        action = "results.proposed" if record.stage is ResultStage.PROPOSED else "results.published"
        event = next((e for e in reversed(events.get((table, record.id), [])) if e.action == action), None)
        if event is None:
            report.bad(table, record.id, f"no audited {action} event")
        elif event.data.get("fingerprint") != record.fingerprint:
            report.bad(table, record.id, f"the fingerprint differs from audit entry {event.seq}")
        elif event.data.get("call") != record.call_id or record.content.get("call") != record.call_id:
            report.bad(table, record.id, f"the call differs from audit entry {event.seq}")
        elif record.chain_seq is not None and by_seq.get(record.chain_seq) != record.chain_head:
            report.bad(table, record.id, f"the chain head differs from audit entry {record.chain_seq}")
    present = {r.id for r in records}
    for (object_type, record_id), history in events.items():
        if object_type == table and record_id not in present:
            report.gone(table, f"the {'final' if history[0].action == 'results.published' else 'proposed'} result "
                               f"of call {history[0].data.get('call')} (fingerprint "
                               f"{history[0].data.get('fingerprint')}), written in audit entry {history[0].seq}")


def _adjustments(session: Session, report: RecordCheck) -> None:
    from venture.results.models import FundingAdjustment
    from venture.results.services import reason_digest

    table = FundingAdjustment.__tablename__
    events = _events(session, ["results.adjusted", "results.adjustment_cleared"])
    seen = set()
    for row in session.scalars(select(FundingAdjustment).order_by(FundingAdjustment.id)):
        seen.add(row.id)
        report.checked += 1
        history = events.get((table, row.id), [])
        if not history or history[-1].action != "results.adjusted":
            report.bad(table, row.id, "no audited adjustment for this row")
            continue
        data = history[-1].data
        if (data.get("proposal") != row.proposal_id or data.get("amount_fen") != row.amount_fen
                or bool(data.get("set_aside")) != bool(row.set_aside)):
            report.bad(table, row.id, f"the amount differs from audit entry {history[-1].seq}")
        elif "reason_sha256" in data and data["reason_sha256"] != reason_digest(row.reason):
            report.bad(table, row.id, f"the reason differs from audit entry {history[-1].seq}")
    for (object_type, row_id), history in events.items():
        if object_type == table and row_id not in seen and history[-1].action == "results.adjusted":
            data = history[-1].data
            report.gone(table, f"adjustment {row_id} of proposal {data.get('proposal')} (amount "
                               f"{data.get('amount_fen')} fen, set aside: {bool(data.get('set_aside'))}), made in "
                               f"audit entry {history[-1].seq}")


def _components(session: Session, report: RecordCheck) -> None:
    from venture.results.models import ComponentScore

    table = ComponentScore.__tablename__
    events = _events(session, ["results.component_set"])
    seen = set()
    for row in session.scalars(select(ComponentScore).order_by(ComponentScore.id)):
        seen.add(row.id)
        report.checked += 1
        history = events.get((table, row.id), [])
        if not history:
            report.bad(table, row.id, "no audited component score for this row")
            continue
        data = history[-1].data
        if data.get("proposal") != row.proposal_id or _decimal(data.get("value")) != _decimal(row.value):
            report.bad(table, row.id, f"the value differs from audit entry {history[-1].seq}")
    for (object_type, row_id), history in events.items():
        if object_type == table and row_id not in seen:
            data = history[-1].data
            report.gone(table, f"component score {row_id} of proposal {data.get('proposal')} (value "
                               f"{data.get('value')}), entered in audit entry {history[-1].seq}")


def _objections(session: Session, report: RecordCheck) -> None:
    from venture.proposals import storage
    from venture.results.models import Objection, ObjectionStatus

    table = Objection.__tablename__
    events = _events(session, ["objection.lodged", "objection.answered"])
    seen = set()
    for row in session.scalars(select(Objection).order_by(Objection.id)):
        seen.add(row.id)
        report.checked += 1
        history = events.get((table, row.id), [])
        lodged = next((e for e in history if e.action == "objection.lodged"), None)
        answers = [e for e in history if e.action == "objection.answered"]
        if lodged is None:
            report.bad(table, row.id, "no audit entry lodged this objection")
            continue
        if "text_sha256" in lodged.data and lodged.data["text_sha256"] != _sha256(row.text or ""):
            report.bad(table, row.id, f"the text differs from audit entry {lodged.seq}")
        expected_status = answers[-1].data.get("status") if answers else ObjectionStatus.OPEN.value
        if row.status.value != expected_status:
            report.bad(table, row.id, f"the status is {row.status.value}, but the chain has {expected_status}")
        elif answers and "answer_sha256" in answers[-1].data and answers[-1].data["answer_sha256"] != _sha256(
                row.answer or ""):
            report.bad(table, row.id, f"the answer differs from audit entry {answers[-1].seq}")
        digest = lodged.data.get("attachment_sha256") or ""
        if bool(digest) != bool(row.attachment_stored):
            report.bad(table, row.id, f"the attached file differs from audit entry {lodged.seq}")
        elif digest and has_app_context():
            problem = _file_problem(storage, row.attachment_stored or "", digest)
            report.checked += 1
            if problem:
                report.bad(table, row.id, f"the attached file {problem}")
    for (object_type, row_id), history in events.items():
        if object_type == table and row_id not in seen:
            report.gone(table, f"objection {row_id} to the result of call {history[0].data.get('call')}, "
                               f"lodged in audit entry {history[0].seq}")


# Files -------------------------------------------------------------------------------------------

def file_digest(path: Any) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_problem(storage: Any, stored_name: str, expected: str) -> str:
    """What is wrong with a stored file, or "" when its bytes still have this digest."""
    try:
        path = storage.path_of(stored_name)
    except ValueError:
        return "has an impossible stored name"
    if not path.is_file():
        return "is missing from the upload folder"
    if file_digest(path) != expected:
        return "on disk does not match its SHA-256 digest: its bytes were changed"
    return ""


def _uploads(session: Session, added_action: str, removed_action: str,
             key: str) -> tuple[dict[int, AuditEvent], dict[int, AuditEvent]]:
    """The audit entries that stored and removed files, by the file's id under ``key``."""
    added: dict[int, AuditEvent] = {}
    removed: dict[int, AuditEvent] = {}
    for history in _events(session, [added_action, removed_action]).values():
        for event in history:
            if isinstance(event.data.get(key), int):
                (added if event.action == added_action else removed)[event.data[key]] = event
    return added, removed


def _stored_file_problem(row: Any, removed: dict[int, AuditEvent]) -> str:
    """What is wrong with a file row whose upload the chain vouches for: removed and back, or bytes changed."""
    from venture.proposals import storage

    if row.id in removed and row.removed_at is None:
        return f"audit entry {removed[row.id].seq} removed this file, but it is back"
    if has_app_context():
        problem = _file_problem(storage, row.stored_name, row.sha256)
        if problem:
            return f"the file “{row.filename}” {problem}"
    return ""


def _name_gone_uploads(report: RecordCheck, table: str, added: dict[int, AuditEvent], seen: set[int],
                       what: str, owner: str) -> None:
    for file_id, event in sorted(added.items()):
        if file_id not in seen:
            report.gone(table, f"{what} {file_id} of {owner} {event.object_id} (SHA-256 "
                               f"{event.data.get('sha256')}), uploaded in audit entry {event.seq}")


def _attachments(session: Session, report: RecordCheck) -> None:
    from venture.proposals.models import Attachment

    table = Attachment.__tablename__
    uploaded, removed = _uploads(session, "proposal.attachment_added", "proposal.attachment_removed", "attachment")
    seen = set()
    for row in session.scalars(select(Attachment).order_by(Attachment.id)).yield_per(500):
        seen.add(row.id)
        report.checked += 1
        event = uploaded.get(row.id)
        listed = report.version_files.get(row.id)
        if event is None:
            report.bad(table, row.id, "no audit entry recorded this upload")
        elif event.object_id != row.proposal_id or event.data.get("sha256") != row.sha256 or (
                "size" in event.data and event.data["size"] != row.size):
            report.bad(table, row.id, f"the digest, size or proposal differs from audit entry {event.seq}")
        elif listed is not None and listed[0] != row.sha256:
            report.bad(table, row.id, f"the digest differs from the one submitted with {listed[1]}")
        elif problem := _stored_file_problem(row, removed):
            report.bad(table, row.id, problem)
    _name_gone_uploads(report, table, uploaded, seen, "attachment", "proposal")


def _report_files(session: Session, report: RecordCheck) -> None:
    """Photos, documents and receipts of funded projects' reports, re-hashed like attachments."""
    from venture.projects.models import ReportFile

    table = ReportFile.__tablename__
    added, removed = _uploads(session, "report.file_added", "report.file_removed", "file")
    seen = set()
    for row in session.scalars(select(ReportFile).order_by(ReportFile.id)).yield_per(500):
        seen.add(row.id)
        report.checked += 1
        event = added.get(row.id)
        if event is None:
            report.bad(table, row.id, "no audit entry recorded this upload")
        elif (event.object_id != row.milestone_id or event.data.get("sha256") != row.sha256
              or event.data.get("size") != row.size):
            report.bad(table, row.id, f"the digest, size or milestone differs from audit entry {event.seq}")
        elif problem := _stored_file_problem(row, removed):
            report.bad(table, row.id, problem)
    _name_gone_uploads(report, table, added, seen, "report file", "milestone")


# The published rules ---------------------------------------------------------------------------

def _call_rules(session: Session, report: RecordCheck) -> None:
    from venture.calls.models import Call, Phase
    from venture.calls.services import published_rules, rules_fingerprint

    table = Call.__tablename__
    events = _events(session, ["call.phase", "call.clarified"])
    calls = {c.id: c for c in session.scalars(select(Call).options(selectinload(Call.criteria)))}
    frozen_calls = set()
    for (object_type, call_id), history in events.items():
        if object_type != table:
            continue
        opened = next((e for e in history if e.action == "call.phase" and e.data.get("to") == Phase.OPEN.value
                       and "rules" in e.data), None)
        if opened is None:
            continue
        frozen_calls.add(call_id)
        call = calls.get(call_id)
        if call is None:
            report.gone(table, f"call {call_id}, opened in audit entry {opened.seq}")
            continue
        report.checked += 1
        frozen = opened.data["rules"]
        if rules_fingerprint(frozen) != opened.data.get("rules_sha256"):
            report.bad(table, call_id, f"the rules frozen in audit entry {opened.seq} do not match their fingerprint")
            continue
        current = published_rules(call)
        closes = frozen.get("closes_at")
        for event in history:
            if event.action == "call.clarified" and event.seq > opened.seq and event.data.get("closes_at"):
                closes = event.data["closes_at"][1]
        for key in sorted(set(frozen) | set(current)):
            if key == "closes_at":
                if not _same_moment(_moment(closes), call.closes_at):
                    report.bad(table, call_id, f"the published rule “closes_at” changed after the call opened: "
                                               f"{closes} → {current['closes_at']} (frozen in audit entry "
                                               f"{opened.seq}, extensions audited)")
            elif not _same_json(frozen.get(key), current.get(key)):
                report.bad(table, call_id, f"the published rule “{key}” changed after the call opened: "
                                           f"{_short(frozen.get(key))} → {_short(current.get(key))} (frozen in "
                                           f"audit entry {opened.seq})")
    unfrozen = [c for c in calls.values() if c.phase is not Phase.DRAFT and c.id not in frozen_calls]
    if unfrozen:
        report.notes.append(f"{len(unfrozen)} call(s) have no rules frozen in the chain (opened before rules were "
                            f"frozen, or never opened through the application): "
                            + ", ".join(str(c.id) for c in sorted(unfrozen, key=lambda c: c.id)[:20])
                            + (" …" if len(unfrozen) > 20 else ""))


def _funded_projects(session: Session, report: RecordCheck) -> None:
    """Plans, agreements, tranches, reports, evaluations and bars (``venture.projects.records``)."""
    from venture.projects.records import check_all

    report.checked += check_all(session, report.bad, report.gone)


CHECKS = (_proposal_versions, _review_versions, _screening, _draws, _assignments, _result_records, _adjustments,
          _components, _objections, _attachments, _report_files, _call_rules, _funded_projects)


def verify_records(session: Session) -> RecordCheck:
    """Check every stored row and file that the chain vouches for; name each that does not match."""
    report = RecordCheck()
    for check in CHECKS:
        check(session, report)
    return report
