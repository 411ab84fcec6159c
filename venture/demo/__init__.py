"""Demo data: an organizing body with staff and an expert pool, applicant
groups of both kinds, and residents, with realistic Chinese and English
content: calls, proposals, comments, the review stage and results."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from venture.accounts import passwords
from venture.accounts.models import User
from venture.audit import services as audit
from venture.bodies.models import BodyKind, Organizer, OrganizingBody, PoolExpert
from venture.core.timeutil import utcnow
from venture.groups import creditcode
from venture.groups.models import Group, GroupKind, GroupMembership, MemberRole, RegistrationType

PASSWORD = "Venture-demo-2026"
DOMAIN = "demo.venture.example"

# (role, e-mail, display name)
LOGINS = [
    ("site admin", f"admin@{DOMAIN}", "平台管理员"),
    ("organizer", f"organizer@{DOMAIN}", "陈晓岚（区民政局）"),
    ("reviewer", f"reviewer@{DOMAIN}", "王建国 (finance expert)"),
    ("group member", f"applicant@{DOMAIN}", "李慧敏"),
    ("resident", f"resident@{DOMAIN}", "张阿姨"),
]

MORE_PEOPLE = [
    ("organizer2", "Liu Fang（区残联）"),
    ("reviewer2", "周丽 社工督导"),
    ("reviewer3", "Dr. Helen Zhao (law)"),
    ("reviewer4", "孙志强 高校教师"),
    ("reviewer5", "吴静 注册会计师"),
    ("reviewer6", "Chen Yu (elderly care)"),
    ("reviewer7", "马莉 社区规划师"),
    ("member2", "黄伟"),
    ("member3", "Maggie Lin"),
    ("member4", "赵桂英"),
    ("resident2", "Tom Wu"),
    ("resident3", "刘大爷"),
]

GROUPS = [
    dict(kind=GroupKind.REGISTERED, name="阳光社会工作服务中心", code17="52440106MJL000017",
         registration_type=RegistrationType.SOCIAL_WORK_AGENCY, founded_year=2012,
         address="广州市天河区天河路100号3楼", contact_name="李慧敏", contact_phone="020-38880001",
         description="专注社区养老与长者照护的社工机构，运营三个社区长者饭堂。", members=["applicant", "member2"]),
    dict(kind=GroupKind.REGISTERED, name="Harmony Disability Support Association", code17="51440106MJL000025",
         registration_type=RegistrationType.SOCIAL_GROUP, founded_year=2016,
         address="18 Zhongshan Road, Yuexiu District, Guangzhou", contact_name="Maggie Lin",
         contact_phone="13800138002",
         description="A residents' association that runs barrier-free outings and sign-language classes.",
         members=["member3"]),
    dict(kind=GroupKind.GRASSROOTS, name="幸福里社区邻里互助队", filed_with="天河区幸福里社区居委会",
         contact_name="赵桂英", contact_phone="13900139004",
         description="楼栋长和退休居民组成的志愿队，帮独居老人买菜、修理小家电。", members=["member4", "applicant"]),
    dict(kind=GroupKind.GRASSROOTS, name="Greenway Residents' Garden Team", filed_with="Greenway Community Office",
         contact_name="Huang Wei", contact_phone="13700137005",
         description="Neighbours turning a disused lot into a shared vegetable garden.", members=["member2"]),
]


def _email(handle: str) -> str:
    return f"{handle}@{DOMAIN}"


def load(session: Session, only_if_empty: bool = True) -> bool:
    if only_if_empty and session.scalar(select(func.count(User.id))):
        return False
    now = utcnow()
    password_hash = passwords.hash_password(PASSWORD)
    users: dict[str, User] = {}
    for role, email, name in LOGINS:
        handle = email.split("@")[0]
        users[handle] = User(email=email, display_name=name, password_hash=password_hash,
                             email_verified_at=now, is_site_admin=role == "site admin",
                             timezone="Asia/Shanghai")
    for handle, name in MORE_PEOPLE:
        users[handle] = User(email=_email(handle), display_name=name, password_hash=password_hash,
                             email_verified_at=now, timezone="Asia/Shanghai")
    users["member3"].locale = "en"
    users["resident2"].locale = "en"
    session.add_all(users.values())
    session.flush()

    bureau = OrganizingBody(
        name="天河区民政局", kind=BodyKind.CIVIL_AFFAIRS, region="广州市天河区",
        contact_email=f"mzj@{DOMAIN}",
        description="负责全区社会组织培育与公益创投，每年开展社区公益创投和微民生项目征集。\n\n"
                    "The district civil-affairs bureau runs the annual community venture "
                    "competition and the micro-livelihood fund.")
    federation = OrganizingBody(
        name="天河区残疾人联合会", kind=BodyKind.DISABILITY_FEDERATION, region="广州市天河区",
        contact_email=f"cl@{DOMAIN}",
        description="为残障人士及其家庭购买康复、就业和无障碍服务。")
    session.add_all([bureau, federation])
    session.flush()
    session.add_all([
        Organizer(body=bureau, user_id=users["organizer"].id),
        Organizer(body=federation, user_id=users["organizer2"].id),
        *(PoolExpert(body=bureau, user_id=users[h].id) for h in ("reviewer", "reviewer2", "reviewer3", "reviewer4")),
        PoolExpert(body=federation, user_id=users["reviewer3"].id),
    ])

    for spec in GROUPS:
        spec = dict(spec)
        members = spec.pop("members")
        code17 = spec.pop("code17", None)
        group = Group(**spec, contact_email=_email(members[0]),
                      credit_code=creditcode.complete(code17) if code17 else None)
        for index, handle in enumerate(members):
            group.memberships.append(GroupMembership(
                user=users[handle], role=MemberRole.OWNER if index == 0 else MemberRole.MEMBER))
        session.add(group)
    session.flush()
    from venture.demo import calls as demo_calls

    own_groups = [g for g in session.scalars(select(Group).order_by(Group.id))][:4]
    demo_calls.load(session, bureau, users["organizer"], password_hash, [own_groups[0], own_groups[2]])
    demo_calls.load_showcase(session, users["organizer"],
                             [users[h] for h in ("resident", "resident2", "resident3", "reviewer4")])
    from venture.demo import review as demo_review

    demo_review.load(session, users["organizer"], bureau, users)
    from venture.demo import projects as demo_projects

    demo_projects.load(session, users["organizer"], users)
    audit.record(session, None, "demo.loaded", object_type="site", object_id=None)
    return True


def print_logins(echo: Callable[[str], None]) -> None:
    echo("")
    echo(f"Demo logins (password for all: {PASSWORD}):")
    for role, email, _name in LOGINS:
        echo(f"  {role:<13} {email}")
