"""Demo calls and proposals: a social venture call that is open and a
micro-livelihood call that has closed, with thirty-odd proposals."""
from __future__ import annotations

import io
import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.bench.texts import IDEAS  # the same sample projects as the benchmark data
from venture.bodies.models import OrganizingBody
from venture.calls import services as calls
from venture.calls.models import Call, CallKind, Phase
from venture.core.timeutil import utcnow
from venture.groups import creditcode
from venture.groups.models import Group, GroupKind, GroupMembership, MemberRole, RegistrationType
from venture.proposals import services as proposals
from venture.proposals.services import BudgetLine, DraftContent

DISTRICTS = ["天河区", "越秀区", "海珠区", "白云区"]
THEMES_SV = ["长者照护", "儿童与家庭", "残障支持", "社区治理"]
THEMES_ML = ["邻里互助", "环境美化", "长者关爱", "文化活动"]


ORG_WORDS = ["康乐", "同心", "启明", "和美", "睦邻", "暖阳", "青松", "禾苗", "知行", "益友", "乐活", "安心"]
TEAM_WORDS = ["邻里", "银龄", "巧手", "绿意", "书香", "红棉", "互助", "守望"]


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _groups(session: Session, password_hash: str, count: int, rng: random.Random) -> list[Group]:
    groups = []
    now = utcnow()
    for index in range(count):
        registered = index % 3 != 2
        user = User(email=f"group{index + 1:02d}@demo.venture.example", display_name=f"申报人{index + 1:02d}",
                    password_hash=password_hash, email_verified_at=now, timezone="Asia/Shanghai")
        session.add(user)
        if registered:
            word = ORG_WORDS[index % len(ORG_WORDS)]
            group = Group(kind=GroupKind.REGISTERED, name=f"{DISTRICTS[index % 4]}{word}社会工作服务中心{index + 1}号",
                          credit_code=creditcode.complete(f"52440{100 + index:03d}MJ{rng.randrange(10**7):07d}"),
                          registration_type=RegistrationType.SOCIAL_WORK_AGENCY, founded_year=2010 + index % 12)
        else:
            word = TEAM_WORDS[index % len(TEAM_WORDS)]
            group = Group(kind=GroupKind.GRASSROOTS, name=f"{DISTRICTS[index % 4]}{word}志愿队{index + 1}号",
                          filed_with=f"{DISTRICTS[index % 4]}第{index % 9 + 1}社区居委会")
        group.contact_name = user.display_name
        group.contact_phone = f"139{index:08d}"
        group.contact_email = user.email or ""
        session.add(group)
        group.memberships.append(GroupMembership(user=user, role=MemberRole.OWNER))
        groups.append(group)
    session.flush()
    return groups


def _draft(call: Call, index: int, rng: random.Random) -> DraftContent:
    zh_title, zh_summary, en_title, en_summary = IDEAS[index % len(IDEAS)]
    english = index % 4 == 3
    title = en_title if english else zh_title
    summary = en_summary if english else zh_summary
    filler = (("We have run a pilot for six months with twelve volunteers. " * 6) if english
              else ("我们已在社区试点半年，十二名志愿者稳定参与，居民反馈良好。" * 6))
    sections = {s["key"]: f"{summary}\n\n{filler}" for s in call.sections}
    low, high = call.min_grant_fen, call.max_grant_fen
    target = rng.randrange(low + (high - low) // 5, high)
    lines = [BudgetLine("人员补贴" if not english else "Staff allowance", target // 2 // 12, Decimal(12)),
             BudgetLine("活动物资" if not english else "Materials", target // 4 // 10, Decimal(10)),
             BudgetLine("场地与宣传" if not english else "Venue and publicity", target // 4, Decimal(1))]
    return DraftContent(title=title, summary=summary, sections=sections, budget=lines,
                        beneficiaries=rng.randrange(30, 600), district=call.districts[index % len(call.districts)],
                        theme=call.themes[index % len(call.themes)])


def load(session: Session, body: OrganizingBody, organizer: User, password_hash: str,
         own_groups: list[Group]) -> None:
    """``own_groups``: the demo applicant's registered and grassroots groups."""
    rng = random.Random(2026)
    now = utcnow()
    venture_call = calls.create_call(session, organizer, body, calls.CallRules(
        kind=CallKind.SOCIAL_VENTURE, title="2026年天河区社区公益创投大赛",
        summary="资助社会组织在长者照护、儿童与家庭、残障支持和社区治理领域开展为期一年的服务项目。",
        text_markdown=("## 资助方向\n\n- 长者照护与认知症友好社区\n- 儿童与家庭支持\n- 残障人士社区融合\n- 居民参与社区治理\n\n"
                       "## 申报要求\n\n申报组织须依法登记、治理健全、财务独立，近三年无重大违法违规记录。\n\n"
                       "## Who may apply\n\nRegistered social organisations and social-work agencies in the district."),
        themes=THEMES_SV, districts=DISTRICTS, allow_registered=True, allow_grassroots=False,
        total_budget_fen=300_000_000, min_grant_fen=5_000_000, max_grant_fen=30_000_000,
        opens_at=now - timedelta(days=10), closes_at=now + timedelta(days=21), timezone="Asia/Shanghai",
        sections=calls.default_sections(CallKind.SOCIAL_VENTURE),
        required_attachments=[{"key": "a1", "title": "登记证书扫描件"}, {"key": "a2", "title": "详细预算表"}],
        reviewers_per_proposal=5, min_fundable_score=Decimal(70), notice_days=7,
        criteria=[calls.CriterionSpec("需求分析", 20, Decimal(20), "需求是否真实、有数据支撑"),
                  calls.CriterionSpec("服务设计", 30, Decimal(30), "目标、活动与成效是否一致"),
                  calls.CriterionSpec("团队能力", 20, Decimal(20), "团队经验与专业资质"),
                  calls.CriterionSpec("预算合理性", 20, Decimal(20), "预算是否必要、经济"),
                  calls.CriterionSpec("可持续性", 10, Decimal(10), "项目结束后能否延续")]))
    calls.transition(session, organizer, venture_call, Phase.OPEN, now=now - timedelta(days=10))

    livelihood_call = calls.create_call(session, organizer, body, calls.CallRules(
        kind=CallKind.MICRO_LIVELIHOOD, title="2026年幸福社区微民生项目（第一期）",
        summary="小额资助居民团队和社区社会组织解决身边的小事。",
        text_markdown="居民自己发现问题、自己想办法。每个项目资助 2,000 至 30,000 元，执行期三个月。",
        themes=THEMES_ML, districts=DISTRICTS, allow_registered=True, allow_grassroots=True,
        total_budget_fen=50_000_000, min_grant_fen=200_000, max_grant_fen=3_000_000,
        opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=3), timezone="Asia/Shanghai",
        sections=calls.default_sections(CallKind.MICRO_LIVELIHOOD),
        required_attachments=[{"key": "a1", "title": "预算明细"}],
        reviewers_per_proposal=3, min_fundable_score=Decimal(60), notice_days=5,
        criteria=[calls.CriterionSpec("问题是否真实", 30, Decimal(10)),
                  calls.CriterionSpec("方案可行", 40, Decimal(10)),
                  calls.CriterionSpec("居民参与", 30, Decimal(10))]))
    opened = now - timedelta(days=40)
    calls.transition(session, organizer, livelihood_call, Phase.OPEN, now=opened)

    groups = _groups(session, password_hash, 30, rng)
    pdf = _pdf()
    plan = [(venture_call, g, i < 8) for i, g in enumerate([g for g in groups if g.kind is GroupKind.REGISTERED][:12])]
    plan += [(livelihood_call, g, True) for g in groups[:22]]
    plan += [(venture_call, own_groups[0], False), (livelihood_call, own_groups[1], True)]
    for index, (call, group, submit) in enumerate(plan):
        owner = next(m.user for m in group.memberships if m.role is MemberRole.OWNER)
        if owner.id is None:
            session.flush()
        when = (opened + timedelta(days=1 + index % 30, hours=index % 7)) if call is livelihood_call \
            else now - timedelta(days=9) + timedelta(hours=index * 5)
        proposal = proposals.start_proposal(session, owner, call, group, now=when)
        proposals.save_draft(session, owner, proposal, _draft(call, index, rng), proposal.lock_version, now=when)
        for attachment in call.required_attachments:
            proposals.add_attachment(session, owner, proposal, attachment["key"], f"{attachment['title']}.pdf",
                                     pdf, now=when)
        if submit:
            proposals.submit(session, owner, proposal, confirmed_warnings=True, now=when + timedelta(minutes=30))
    calls.close_due_calls(session, now=now)


COMMENTS = [
    "这个项目我们楼里的老人很需要，希望能覆盖到周末。",
    "预算里的场地费是否可以和居委会协调免费使用？",
    "Great idea. Could the sessions also run in the evening for working parents?",
    "我愿意报名做志愿者，每周二下午有空。",
    "建议在项目结束后公开服务记录，让居民知道钱花在哪里。",
    "How will you reach older people who do not use smartphones?",
]
REPLIES = ["谢谢建议，我们会在方案里补充。", "Thanks — we will add an evening session.", "同意楼上的意见。"]


def load_showcase(session: Session, organizer: User, residents: list[User]) -> None:
    """Comments, replies, supports, one hidden and one reported comment."""
    from sqlalchemy import select

    from venture.comments import services as comments
    from venture.proposals.models import Proposal, ProposalStatus
    from venture.showcase import services as showcase

    public = session.scalars(select(Proposal).where(Proposal.status == ProposalStatus.SUBMITTED)
                             .order_by(Proposal.id)).all()
    for index, proposal in enumerate(public[:12]):
        for offset, resident in enumerate(residents[: 1 + index % len(residents)]):
            showcase.support(session, resident, proposal)
            if offset < 2:
                comment = comments.post_comment(session, resident, proposal,
                                                COMMENTS[(index + offset) % len(COMMENTS)])
                if offset == 0 and index % 3 == 0:
                    owner = next(m.user for m in proposal.group.memberships)
                    comments.post_comment(session, owner, proposal, REPLIES[index % len(REPLIES)], parent=comment)
    if public:
        target = public[0]
        spam = comments.post_comment(session, residents[-1], target, "加微信 領取免费礼品！！！ http://spam.example")
        comments.hide_comment(session, organizer, spam, "广告内容 / advertising")
        rude = comments.post_comment(session, residents[0], public[1], "这种项目纯属浪费钱。")
        comments.report_comment(session, residents[1], rude, "人身攻击 / personal attack")
