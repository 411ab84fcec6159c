"""Demo data for funded projects, made through the services people use: the
demo's published call funded three projects, now at different stages.

- rank 1: agreement accepted, first tranche paid, mid-term report accepted,
  mid-term evaluation excellent (an organizer and an invited third-party
  evaluator, the demo reviewer), second tranche paid, a budget change in force;
- rank 2: agreement accepted a few days ago and its first tranche paid, a
  budget change waiting for the organizers;
- rank 3: its mid-term report was sent back once, then accepted; the mid-term
  evaluation failed, so the remaining tranches are cut and the group is
  barred from the bureau's calls for two years (its owner is refused when it
  tries the open call).
"""
from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Phase
from venture.core.timeutil import utcnow
from venture.projects import evaluation as evaluations
from venture.projects import services
from venture.projects.models import EvaluationStage, FilePurpose, Project, TrancheStatus

# Points per default dimension: basis 10, governance 10, service 20, finance 15, relations 10, outcomes 25.
EXCELLENT_SHEETS = [("9.5", "9", "19", "14", "9", "23.5"), ("9", "9.5", "18.5", "14", "9.5", "23")]
FAILING_SHEETS = [("5", "4", "10", "6", "5", "12"), ("6", "5", "11", "5", "5", "13")]
REASONS = {
    "basis": "机构登记与场地齐备，骨干社工稳定。",
    "governance": "理事会按季度开会，有会议记录。",
    "service": "服务记录完整，个案跟进及时。",
    "finance": "支出与预算科目一致，票据齐全。",
    "relations": "与居委会、卫生站合作顺畅。",
    "outcomes": "服务人次达到中期目标，长者反馈良好。",
}
FAIL_REASONS = {
    "basis": "项目负责人两度更换，人手不足。",
    "governance": "没有项目例会记录。",
    "service": "约定的 12 次活动只开展了 4 次。",
    "finance": "多笔支出缺少票据，科目混用。",
    "relations": "未与社区居委会建立协作。",
    "outcomes": "服务对象 9 人，远低于 60 人的目标。",
}


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes([40, 120, 90]) * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _file(session: Session, owner: User, milestone: object, spending: dict[int, int], when: datetime) -> None:
    from venture.demo.calls import _pdf

    pdf = _pdf()
    services.add_report_file(session, owner, milestone, FilePurpose.PHOTO, "活动照片.png", _png(), public=True,
                             now=when)
    services.add_report_file(session, owner, milestone, FilePurpose.DOCUMENT, "签到表.pdf", pdf, now=when)
    for index, amount in spending.items():
        if amount:
            services.add_report_file(session, owner, milestone, FilePurpose.RECEIPT, f"票据-{index + 1}.pdf", pdf,
                                     budget_line=index, now=when)


def _report(session: Session, owner: User, project: Project, share: Decimal, served: int, when: datetime,
            activities: str) -> object:
    milestone = next(m for m in project.milestones if m.kind.value == "midterm")
    report = services.report_of(session, milestone)
    spending = {index: int(Decimal(line["amount_fen"]) * share) for index, line in enumerate(project.budget)}
    services.save_report(session, owner, milestone, services.ReportContent(
        activities=activities, activities_held=12 if served > 20 else 4, beneficiaries_served=served,
        team="项目社工 2 名，志愿者 8 名（其中长者志愿者 3 名）。" if served > 20 else "项目社工 1 名。",
        spending=spending, private_note="场地费发票由居委会统一开具，稍后补交。"),
        report.lock_version, now=when)
    _file(session, owner, milestone, spending, when)
    services.submit_report(session, owner, milestone, now=when)
    return milestone


def _evaluate(session: Session, organizer: User, evaluator_user: User, project: Project, sheets: list[tuple[str, ...]],
              reasons: dict[str, str], satisfaction: str, opened: datetime, finalised: datetime) -> None:
    found = evaluations.open_evaluation(session, organizer, project, EvaluationStage.MIDTERM,
                                        due_on=(finalised - timedelta(days=1)).date(), now=opened)
    mine = evaluations.add_organizer(session, organizer, found, now=opened)
    expert = session.scalar(select(PoolExpert).where(PoolExpert.body_id == project.call.body_id,
                                                     PoolExpert.user_id == evaluator_user.id))
    assert expert is not None
    invited = evaluations.invite_expert(session, organizer, found, expert, "广州市某社会服务评估中心（第三方评估）",
                                        now=opened)
    evaluations.respond(session, evaluator_user, invited, True, now=opened + timedelta(hours=3))
    for person, evaluator, points in ((organizer, mine, sheets[0]), (evaluator_user, invited, sheets[1])):
        evaluations.declare(session, person, evaluator, False, now=opened + timedelta(hours=4))
        keys = [d["key"] for d in found.dimensions]
        evaluations.save_sheet(session, person, evaluator, dict(zip(keys, points, strict=True)),
                               {k: reasons.get(k, "依据报告与走访记录。") for k in keys}, submit=True,
                               now=opened + timedelta(days=2))
    evaluations.set_satisfaction(session, organizer, found, Decimal(satisfaction),
                                 "纸质问卷：服务对象 40 人，当场回收。/ Paper survey of 40 people served.",
                                 now=opened + timedelta(days=3))
    evaluations.finalise(session, organizer, found, now=finalised)


def load(session: Session, organizer: User, users: dict[str, User]) -> None:
    call = session.scalar(select(Call).where(Call.phase == Phase.PUBLISHED).order_by(Call.id))
    if call is None:
        return
    projects = list(session.scalars(select(Project).where(Project.call_id == call.id).order_by(Project.result_rank)))
    if len(projects) < 3:
        return
    now = utcnow()
    excellent, fresh, failing = projects[0], projects[1], projects[2]
    reviewer = users["reviewer"]

    for project, issued_days_ago in ((excellent, 110), (failing, 110)):
        issued = now - timedelta(days=issued_days_ago)
        owner = project.group.owners[0]
        services.issue_agreement(session, organizer, project, (issued + timedelta(days=5)).date(),
                                 "双方联系人：项目主管与区民政局社会组织科。", now=issued)
        services.accept_agreement(session, owner, project, now=issued + timedelta(days=2))
        first = project.tranches[0]
        services.move_tranche(session, organizer, first, TrancheStatus.RELEASED, now=issued + timedelta(days=3))
        services.move_tranche(session, organizer, first, TrancheStatus.PAID, paid_on=(issued + timedelta(days=8)).date(),
                              reference=f"TH-MZ-{project.number}-1", now=issued + timedelta(days=8))

    # Rank 1: an excellent mid-term, the second tranche paid, a small budget change in force.
    owner = excellent.group.owners[0]
    if len(excellent.budget) > 1:  # 5% of a line: within the threshold, in force at once
        services.request_budget_change(session, owner, excellent, 1, 0, excellent.budget[1]["amount_fen"] // 20,
                                       "活动物资采购比预期便宜，结余用于增加送餐次数。", now=now - timedelta(days=40))
    milestone = _report(session, owner, excellent, Decimal("0.45"), 46, now - timedelta(days=18),
                        "开展长者午餐与探访活动 12 次，建立 46 名独居长者档案，培训志愿者 8 名。")
    services.review_report(session, organizer, milestone, True, note="记录详实，照片与签到表齐全。",
                           now=now - timedelta(days=14))
    _evaluate(session, organizer, reviewer, excellent, EXCELLENT_SHEETS, REASONS, "95", now - timedelta(days=12),
              now - timedelta(days=5))
    second = excellent.tranches[1]
    services.move_tranche(session, organizer, second, TrancheStatus.RELEASED, now=now - timedelta(days=4))
    services.move_tranche(session, organizer, second, TrancheStatus.PAID, paid_on=(now - timedelta(days=2)).date(),
                          reference=f"TH-MZ-{excellent.number}-2", now=now - timedelta(days=2))

    # Rank 2: the agreement accepted a few days ago, the first tranche paid; a budget change waits.
    owner = fresh.group.owners[0]
    services.issue_agreement(session, organizer, fresh, (now - timedelta(days=3)).date(), now=now - timedelta(days=6))
    services.accept_agreement(session, owner, fresh, now=now - timedelta(days=5))
    first = fresh.tranches[0]
    services.move_tranche(session, organizer, first, TrancheStatus.RELEASED, now=now - timedelta(days=4))
    services.move_tranche(session, organizer, first, TrancheStatus.PAID, paid_on=(now - timedelta(days=2)).date(),
                          reference=f"TH-MZ-{fresh.number}-1", now=now - timedelta(days=2))
    if len(fresh.budget) > 1:
        services.request_budget_change(session, owner, fresh, 0, 1, fresh.budget[0]["amount_fen"] // 4,
                                       "场地由社区免费提供，把人员补贴的一部分转为活动物资。", now=now - timedelta(days=1))

    # Rank 3: sent back once, then accepted; the mid-term evaluation fails.
    owner = failing.group.owners[0]
    milestone = _report(session, owner, failing, Decimal("0.6"), 9, now - timedelta(days=17),
                        "开展活动 4 次。")
    services.review_report(session, organizer, milestone, False, ["activities", "receipts"],
                           "请补充每次活动的时间、地点和参加人数，并补交场地费票据。", now=now - timedelta(days=15))
    report = services.report_of(session, milestone)
    services.save_report(session, owner, milestone, services.ReportContent(
        activities="开展活动 4 次：3 月 2 日、3 月 16 日、4 月 6 日、4 月 20 日，均在社区活动室，每次 6 至 9 人。",
        activities_held=4, beneficiaries_served=9, team=report.team,
        spending={int(k): v for k, v in report.spending.items()}, private_note=report.private_note),
        report.lock_version, now=now - timedelta(days=13))
    services.submit_report(session, owner, milestone, now=now - timedelta(days=13))
    services.review_report(session, organizer, milestone, True, now=now - timedelta(days=11))
    _evaluate(session, organizer, users["reviewer3"], failing, FAILING_SHEETS, FAIL_REASONS, "60",
              now - timedelta(days=10), now - timedelta(days=6))
