"""A deterministic data set of city size for benchmarks: ``flask bench seed``.

Everything is drawn from one ``random.Random(seed)``; times are offsets from
an anchor (midnight UTC today unless given), so the same seed gives the same
rows, ids, texts and receipt numbers. Rows go in with bulk inserts in batches
of ``BATCH``; nothing passes through the services (no audit records, no mail,
no search queue), but every stored value is one the services would have
written: the denormalised counters match the rows they count, each version's
content is ``proposals.services.snapshot`` of the proposal as submitted and
its fingerprint is ``fingerprint(content)``, receipt numbers are unique and
the receipt counters stand at the highest number given.

The review stage is seeded for calls under review, in public notice and
published: pool experts with expertise areas (a third in finance), a panel
per call drawn with ``review.draw.draw_panel`` from the body's pool (the
``PanelDraw`` row re-runs to the same experts), every member accepted with
conflicts declared, proposals screened, each eligible proposal assigned to
the call's number of reviewers (round robin, even loads), reviews whose
versions are ``review.scoring.freeze`` of the sheet with
``scoring.fingerprint``, and, for calls in notice or published, the result
records made by ``results.services.compute`` and ``record_content`` once the
rows are in. The review stage draws on a random generator of its own, so the
rest of the data set is the same as without it.

Seeded proposals carry no attachments (there are no files behind them), so
the seeded calls require none. No audit events are written: ``flask audit
verify`` has nothing to check on a bench database.
"""
from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.bench import texts
from venture.bodies.models import BodyKind, Organizer, OrganizingBody, PoolExpert
from venture.calls.models import Call, CallKind, Criterion, Phase
from venture.comments.models import Comment, CommentStatus
from venture.core.sanitize import render_markdown
from venture.groups import creditcode
from venture.groups.models import Group, GroupKind, GroupMembership, MemberRole, RegistrationType
from venture.proposals.models import (
    Proposal,
    ProposalStatus,
    ProposalVersion,
    ReceiptCounter,
    Screening,
    line_subtotal_fen,
)
from venture.proposals.services import fingerprint, snapshot
from venture.results.models import ResultRecord, ResultStage
from venture.review import draw as drawing
from venture.review import scoring
from venture.review.expertise import AREAS, FINANCE
from venture.review.models import Assignment, MemberStatus, PanelDraw, PanelMember, Review, ReviewStatus, ReviewVersion
from venture.showcase.models import Support
from venture.showcase.visibility import SHOWCASE_PHASES

BATCH = 5_000
PASSWORD = "Venture-bench-2026"  # every seeded account's password
EMAIL_DOMAIN = "bench.venture.example"
DISTINCT_COMMENTS = 300


@dataclass(frozen=True)
class Scale:
    users: int
    groups: int
    calls: int
    proposals: int
    comments: int
    supports: int
    reviewers: int
    reviews: int
    second_versions: float = 0.1  # share of proposals submitted twice


SCALES = {
    "city": Scale(users=20_000, groups=2_000, calls=50, proposals=20_000, comments=200_000, supports=60_000,
                  reviewers=500, reviews=60_000),
    # About a twentieth of a city (a few more calls, so every phase is there).
    "small": Scale(users=1_000, groups=100, calls=15, proposals=1_000, comments=10_000, supports=3_000,
                   reviewers=25, reviews=3_000),
    # For tests.
    "tiny": Scale(users=60, groups=12, calls=5, proposals=30, comments=150, supports=60, reviewers=8, reviews=40),
}

# Phases of the calls, in order, repeated: mostly open, closed and under review.
PHASE_PATTERN = "OCRNOCRDOCRPOCRNOCRXORCPO"
PHASE_CODES = {"O": Phase.OPEN, "C": Phase.CLOSED, "R": Phase.REVIEW, "N": Phase.NOTICE,
               "P": Phase.PUBLISHED, "D": Phase.DRAFT, "X": Phase.CANCELLED}
# Calls whose review stage is seeded: panel, screening, assignments, reviews.
REVIEW_STAGE = frozenset({Phase.REVIEW, Phase.NOTICE, Phase.PUBLISHED})
# At most the body's pool. A city panel of 30-45 gives each member 80-150 proposals, about
# what a busy reviewer is asked to score; smaller pools give more each.
PANEL_SIZE = (30, 45)
INELIGIBLE_SHARE = 0.03
# In calls still under review: assignments not started yet, and drafts.
NOT_STARTED_SHARE = 0.07
DRAFT_SHARE = 0.05

SECTIONS = {
    CallKind.SOCIAL_VENTURE: [("need", "需求分析"), ("goals", "项目目标"), ("plan", "服务计划"),
                              ("outcomes", "产出与成效"), ("team", "团队介绍"), ("risk", "风险及应对"),
                              ("sustainability", "可持续性")],
    CallKind.MICRO_LIVELIHOOD: [("problem", "要解决的问题"), ("activities", "我们要做什么"),
                                ("beneficiaries", "谁受益、怎样受益")],
}
CRITERIA = {
    CallKind.SOCIAL_VENTURE: [("需求分析", 20, 20), ("服务设计", 30, 30), ("团队能力", 20, 20),
                              ("预算合理性", 20, 20), ("可持续性", 10, 10)],
    CallKind.MICRO_LIVELIHOOD: [("问题是否真实", 30, 10), ("方案可行", 40, 10), ("居民参与", 30, 10)],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌海燕春梅鹏辉雪琳晓"


class SeedRefused(Exception):
    """The database already holds accounts and ``force`` was not given."""


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)


Progress = Callable[[int], None]


def total_rows(scale: Scale) -> int:
    """Roughly how many rows ``seed`` inserts (for a progress bar)."""
    bodies = _bodies_for(scale)
    return (bodies * 2 + scale.users + scale.reviewers + scale.groups * 3 + scale.calls * 5
            + int(scale.proposals * (2 + scale.second_versions)) + scale.comments + scale.supports
            + scale.calls * 6 + scale.reviews * 3)


def seed(session: Session, scale: str | Scale = "small", *, seed: int = 2026, now: datetime | None = None,
         force: bool = False, progress: Progress | None = None,
         echo: Callable[[str], None] = lambda _message: None) -> Summary:
    """Fill an empty (migrated) database with the data set. With ``force``,
    every row already in the database is deleted first. Commits."""
    started = time.perf_counter()
    size = SCALES[scale] if isinstance(scale, str) else scale
    if has_users(session):
        if not force:
            raise SeedRefused("the database already has users; seeding would mix with them "
                              "(--force deletes every row first)")
        _wipe(session)
    anchor = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    builder = _Builder(size, random.Random(seed), anchor, _password_hash(), random.Random(f"{seed}:review"))
    summary = Summary()
    step = progress or (lambda _n: None)
    for model, rows in builder.tables():
        _insert(session, model, rows, step)
        summary.counts[model.__tablename__] = summary.counts.get(model.__tablename__, 0) + len(rows)
    records = _result_records(session, builder.results)
    _insert(session, ResultRecord, records, step)
    summary.counts[ResultRecord.__tablename__] = len(records)
    _reset_sequences(session)
    session.commit()
    # Planner statistics, as after any bulk load: without them PostgreSQL
    # chose a sequential scan of all comments for a thread page (30 ms, not 1).
    session.execute(text("ANALYZE"))
    session.commit()
    summary.seconds = time.perf_counter() - started
    return summary


def has_users(session: Session) -> bool:
    return bool(session.scalar(select(func.count(User.id))))


def _password_hash() -> str:
    from venture.accounts import passwords

    return passwords.hash_password(PASSWORD)


def _result_records(session: Session, plan: list[tuple[int, ResultStage, datetime, int]]) -> list[dict[str, Any]]:
    """The frozen results of calls in notice or published, computed from the
    rows just inserted by the same functions that open the notice and
    finalise (without their audit events and mail)."""
    from venture.results import services as results

    rows = []
    for call_id, stage, moment, organizer_id in plan:
        call = session.get(Call, call_id)
        computation = results.compute(session, call, moment)
        content = results.record_content(session, call, computation, stage)
        rows.append({"id": len(rows) + 1, "call_id": call_id, "stage": stage, "created_at": moment,
                     "created_by_id": organizer_id, "content": content,
                     "fingerprint": results.fingerprint(content), "chain_seq": None, "chain_head": ""})
    return rows


def _insert(session: Session, model: type[Any], rows: list[dict[str, Any]], progress: Progress) -> None:
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        session.execute(insert(model), chunk)
        progress(len(chunk))


def _wipe(session: Session) -> None:
    from venture.models import metadata

    tables = [t.name for t in reversed(metadata.sorted_tables)]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            session.execute(text(f'DELETE FROM "{table}"'))
    session.flush()


def _reset_sequences(session: Session) -> None:
    """Rows were inserted with their ids; move PostgreSQL's sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    from venture.models import metadata

    for table in metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 1), "
            f"(SELECT MAX(id) FROM \"{table.name}\") IS NOT NULL)"))


def _bodies_for(scale: Scale) -> int:
    return max(1, scale.calls // 5)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return start
    return start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))


def _weights(rng: random.Random, count: int) -> list[float]:
    """Popularity: most proposals get a little attention, a few get a lot."""
    return [min(rng.paretovariate(2.0), 60.0) for _ in range(count)]


def _spread(rng: random.Random, total: int, weights: list[float], capacity: list[int] | None = None) -> list[int]:
    """``total`` split in proportion to ``weights``, each share at most its capacity."""
    whole = sum(weights) or 1.0
    shares = [int(total * w / whole) for w in weights]
    if capacity is not None:
        shares = [min(s, c) for s, c in zip(shares, capacity, strict=True)]
    order = sorted(range(len(weights)), key=lambda i: -weights[i])
    left = total - sum(shares)
    while left > 0:
        moved = False
        for index in order:
            if left == 0:
                break
            if capacity is None or shares[index] < capacity[index]:
                shares[index] += 1
                left -= 1
                moved = True
        if not moved:
            raise ValueError(f"cannot place {total} items: not enough room")
    return shares


class _Builder:
    """Makes the rows, table by table, in an order the foreign keys accept."""

    def __init__(self, scale: Scale, rng: random.Random, now: datetime, password_hash: str,
                 review_rng: random.Random) -> None:
        self.scale = scale
        self.rng = rng
        # The review stage draws from its own generator, so adding it left the rest unchanged.
        self.review_rng = review_rng
        self.now = now
        self.password_hash = password_hash
        self.bodies = _bodies_for(scale)
        # Who is who, by user id: 1 is the site admin, then organizers,
        # reviewers, group members, and residents for the rest.
        self.organizer_ids = list(range(2, 2 + self.bodies))
        first = 2 + self.bodies
        self.reviewer_ids = list(range(first, first + scale.reviewers))
        self.next_user = first + scale.reviewers
        self.members: dict[int, list[int]] = {}  # group id -> user ids, owner first
        self.calls: list[dict[str, Any]] = []
        self.proposals: list[dict[str, Any]] = []
        self.call_by_id: dict[int, dict[str, Any]] = {}
        self.first_submitted: dict[int, datetime] = {}
        self.experts: list[dict[str, Any]] = []
        self.criteria_by_call: dict[int, list[Any]] = defaultdict(list)
        self.review_plan: dict[int, dict[str, Any]] = {}  # call id -> panel size, seed, dates
        # (call id, stage, when, organizer's user id) of each result record to freeze after the inserts
        self.results: list[tuple[int, ResultStage, datetime, int]] = []

    def tables(self) -> Iterable[tuple[type[Any], list[dict[str, Any]]]]:
        groups, memberships = self._groups()  # decides who is a member before the users exist
        yield OrganizingBody, self._bodies()
        yield User, self._users()
        yield Organizer, [{"id": i + 1, "body_id": i + 1, "user_id": uid, "appointed_at": self.now - timedelta(days=400)}
                          for i, uid in enumerate(self.organizer_ids)]
        yield PoolExpert, self._experts()
        yield Group, groups
        yield GroupMembership, memberships
        calls, criteria = self._calls()
        yield Call, calls
        yield Criterion, criteria
        proposals, versions, counters = self._proposals()
        self._screen(proposals)
        comments = self._comments()
        supports = self._supports()
        yield Proposal, proposals
        yield ProposalVersion, versions
        yield ReceiptCounter, counters
        yield Comment, comments
        yield Support, supports
        draws, members = self._panels()
        yield PanelDraw, draws
        yield PanelMember, members
        assignments, reviews, review_versions = self._reviews(members)
        yield Assignment, assignments
        yield Review, reviews
        yield ReviewVersion, review_versions

    # People -------------------------------------------------------------------------------

    def _bodies(self) -> list[dict[str, Any]]:
        kinds = [(BodyKind.CIVIL_AFFAIRS, "民政局"), (BodyKind.DISABILITY_FEDERATION, "残疾人联合会"),
                 (BodyKind.STREET_OFFICE, "街道办事处"), (BodyKind.FOUNDATION, "社区慈善基金会")]
        rows = []
        for index in range(self.bodies):
            kind, suffix = kinds[index // len(texts.DISTRICTS) % len(kinds)]
            district = texts.DISTRICTS[index % len(texts.DISTRICTS)]
            name = f"广州市{district}{suffix}" + (f"（{index // 32 + 1}）" if index >= 32 else "")
            rows.append({"id": index + 1, "name": name, "kind": kind, "region": f"广州市{district}",
                         "description": f"{name}负责本辖区的社区公益创投与微民生项目资助。",
                         "contact_email": f"body{index + 1}@{EMAIL_DOMAIN}",
                         "created_at": self.now - timedelta(days=500)})
        return rows

    def _name(self) -> str:
        rng = self.rng
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    def _users(self) -> list[dict[str, Any]]:
        if self.next_user - 1 > self.scale.users:
            raise ValueError("the scale has too few users for its organizers, reviewers and groups")
        rows = []
        for uid in range(1, self.scale.users + 1):
            email = f"admin@{EMAIL_DOMAIN}" if uid == 1 else f"u{uid:05d}@{EMAIL_DOMAIN}"
            created = self.now - timedelta(days=self.rng.uniform(30, 700))
            rows.append({"id": uid, "email": email, "display_name": self._name(),
                         "password_hash": self.password_hash, "email_verified_at": created + timedelta(minutes=5),
                         "is_site_admin": uid == 1, "locale": self.rng.choice((None, None, "zh_CN", "en")),
                         "timezone": "Asia/Shanghai", "created_at": created, "deleted_at": None})
        return rows

    def _experts(self) -> list[dict[str, Any]]:
        """The pool experts, spread over the bodies; a third of them in finance."""
        rng = self.review_rng
        others = sorted(a for a in AREAS if a != FINANCE)
        rows = []
        for i, uid in enumerate(self.reviewer_ids):
            areas = [FINANCE, *rng.sample(others, rng.randint(0, 1))] if i % 3 == 0 \
                else rng.sample(others, rng.randint(1, 3))
            joined = self.now - timedelta(days=300 - i % 200)
            rows.append({"id": i + 1, "body_id": i % self.bodies + 1, "user_id": uid, "joined_at": joined,
                         "expertise": areas, "affiliations": [], "available": True, "availability_note": "",
                         "profile_updated_at": joined + timedelta(days=2)})
        self.experts = rows
        return rows

    def _groups(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rng = self.rng
        groups, memberships = [], []
        words = ["康乐", "同心", "启明", "和美", "睦邻", "暖阳", "青松", "禾苗", "知行", "益友", "乐活", "安心"]
        teams = ["邻里", "银龄", "巧手", "绿意", "书香", "红棉", "互助", "守望"]
        types = list(RegistrationType)
        for index in range(self.scale.groups):
            gid = index + 1
            district = texts.DISTRICTS[index % len(texts.DISTRICTS)]
            community = texts.COMMUNITIES[index % len(texts.COMMUNITIES)]
            owner = self.next_user
            extra = index % 3  # 0, 1 or 2 more members
            self.members[gid] = list(range(owner, owner + 1 + extra))
            self.next_user += 1 + extra
            registered = index % 3 != 2
            row: dict[str, Any] = {
                "id": gid, "contact_name": self._name(), "contact_phone": f"139{gid:08d}",
                "contact_email": f"u{owner:05d}@{EMAIL_DOMAIN}", "address": f"广州市{district}{community}路{gid}号",
                "founded_year": 2008 + index % 16, "created_at": self.now - timedelta(days=rng.uniform(200, 600)),
                "description": f"扎根{district}{community}社区，长期开展{rng.choice(texts.THEMES_SV)}服务。",
            }
            if registered:
                row.update(kind=GroupKind.REGISTERED,
                           name=f"{district}{community}{words[index % len(words)]}社会工作服务中心",
                           credit_code=creditcode.complete(f"5244{gid % 10000:04d}MJ{gid:07d}"),
                           registration_type=types[index % len(types)], filed_with=None)
            else:
                row.update(kind=GroupKind.GRASSROOTS, name=f"{community}社区{teams[index % len(teams)]}志愿队",
                           credit_code=None, registration_type=None, filed_with=f"{district}{community}社区居委会")
            groups.append(row)
            for position, uid in enumerate(self.members[gid]):
                memberships.append({"id": len(memberships) + 1, "group_id": gid, "user_id": uid,
                                    "role": MemberRole.OWNER if position == 0 else MemberRole.MEMBER,
                                    "joined_at": row["created_at"]})
        self.group_rows = groups
        return groups, memberships

    # Calls -------------------------------------------------------------------------------

    def _calls(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rng, now = self.rng, self.now
        calls, criteria = [], []
        per_proposal = self._reviewers_per_proposal()
        for index in range(self.scale.calls):
            cid = index + 1
            phase = PHASE_CODES[PHASE_PATTERN[index % len(PHASE_PATTERN)]]
            kind = CallKind.SOCIAL_VENTURE if index % 2 == 0 else CallKind.MICRO_LIVELIHOOD
            district = texts.DISTRICTS[index % len(texts.DISTRICTS)]
            if phase in (Phase.OPEN, Phase.DRAFT):
                opens = now - timedelta(days=rng.uniform(15, 45)) if phase is Phase.OPEN \
                    else now + timedelta(days=rng.uniform(10, 30))
                closes = now + timedelta(days=rng.uniform(10, 60)) if phase is Phase.OPEN \
                    else opens + timedelta(days=45)
            else:
                back = {Phase.CLOSED: (5, 30), Phase.CANCELLED: (5, 30), Phase.REVIEW: (30, 60),
                        Phase.NOTICE: (60, 90), Phase.PUBLISHED: (90, 240)}[phase]
                closes = now - timedelta(days=rng.uniform(*back))
                opens = closes - timedelta(days=rng.uniform(30, 60))
            closes = closes.replace(minute=0, second=0, microsecond=0)
            opens = opens.replace(minute=0, second=0, microsecond=0)
            round_no = index // len(texts.DISTRICTS) + 1
            if kind is CallKind.SOCIAL_VENTURE:
                title = f"{opens.year}年{district}社区公益创投大赛（第{round_no}期）"
                summary = f"资助社会组织在{district}开展为期一年的{'、'.join(texts.THEMES_SV[:4])}服务项目。"
                money = (300_000_000, 5_000_000, 30_000_000)
                themes = texts.THEMES_SV[index % 3:index % 3 + 4]
            else:
                title = f"{opens.year}年{district}幸福社区微民生项目（第{round_no}期）"
                summary = "小额资助居民团队和社区社会组织解决身边的小事。"
                money = (50_000_000, 200_000, 3_000_000)
                themes = texts.THEMES_ML[index % 3:index % 3 + 4]
            markdown = ("## 资助方向\n\n" + "".join(f"- {t}\n" for t in themes)
                        + "\n## 申报要求\n\n" + " ".join(rng.sample(texts.SENTENCES_ZH, 4))
                        + "\n\n## Who may apply\n\n" + " ".join(rng.sample(texts.SENTENCES_EN, 2)))
            districts = [texts.DISTRICTS[(index + k) % len(texts.DISTRICTS)] for k in range(4)]
            row = {
                "id": cid, "body_id": index % self.bodies + 1, "kind": kind, "phase": phase, "title": title,
                "summary": summary, "text_markdown": markdown, "text_html": render_markdown(markdown),
                "themes": themes, "districts": districts,
                "allow_registered": True, "allow_grassroots": kind is CallKind.MICRO_LIVELIHOOD,
                "total_budget_fen": money[0], "min_grant_fen": money[1], "max_grant_fen": money[2],
                "opens_at": opens, "closes_at": closes, "timezone": "Asia/Shanghai",
                "sections": [{"key": k, "title": t} for k, t in SECTIONS[kind]], "required_attachments": [],
                "reviewers_per_proposal": 5 if kind is CallKind.SOCIAL_VENTURE else 3,
                "min_fundable_score": Decimal(70 if kind is CallKind.SOCIAL_VENTURE else 60),
                "notice_days": 7, "comment_moderation": "post", "created_at": opens - timedelta(days=14),
                "published_at": None if phase is Phase.DRAFT else opens - timedelta(days=7),
                "aggregation_method": "trimmed" if kind is CallKind.SOCIAL_VENTURE else "mean",
                "tie_criterion_position": 2, "review_due_at": None, "notice_opened_at": None,
                "notice_ends_at": None, "results_published_at": None,
            }
            if phase in REVIEW_STAGE:
                self._plan_review(row, per_proposal)
            calls.append(row)
            self.call_by_id[cid] = row
            for position, (name, weight, points) in enumerate(CRITERIA[kind]):
                criteria.append({"id": len(criteria) + 1, "call_id": cid, "position": position + 1, "name": name,
                                 "guidance": "", "weight": weight, "max_points": Decimal(points)})
                self.criteria_by_call[cid].append(SimpleNamespace(id=len(criteria), name=name, weight=weight,
                                                                  max_points=Decimal(points)))
        self.calls = calls
        return calls, criteria

    def _reviewers_per_proposal(self) -> dict[CallKind, int]:
        """Reviewers per proposal in the calls whose review is seeded, so that
        the reviews come to about ``scale.reviews``: one more than the mean for
        social-venture calls, one fewer for micro-livelihood ones."""
        phases = [PHASE_CODES[PHASE_PATTERN[i % len(PHASE_PATTERN)]] for i in range(self.scale.calls)]
        reviewed = sum(1 for p in phases if p in REVIEW_STAGE)
        with_proposals = sum(1 for p in phases if p is not Phase.DRAFT)
        if not reviewed or not self.scale.proposals or not self.scale.reviews:
            return {CallKind.SOCIAL_VENTURE: 5, CallKind.MICRO_LIVELIHOOD: 3}
        mean = self.scale.reviews / (self.scale.proposals / with_proposals * reviewed)
        # Some proposals are screened out and some assignments not started: ask for a little more.
        mean /= (1 - INELIGIBLE_SHARE) * (1 - NOT_STARTED_SHARE / 2)
        return {CallKind.SOCIAL_VENTURE: max(1, min(15, math.ceil(mean + 0.5))),
                CallKind.MICRO_LIVELIHOOD: max(1, min(15, math.ceil(mean - 0.5)))}

    def _plan_review(self, call: dict[str, Any], per_proposal: dict[CallKind, int]) -> None:
        """Panel size, draw seed and the review stage's dates of a call under review or later."""
        rng, now = self.review_rng, self.now
        pool = sum(1 for e in self.experts if e["body_id"] == call["body_id"])
        size = min(rng.randint(*PANEL_SIZE), pool)
        closes = call["closes_at"]
        plan: dict[str, Any] = {"size": size, "seed": f"{rng.getrandbits(128):032x}",
                                "drawn_at": closes + timedelta(days=1, hours=rng.randint(1, 8)),
                                "assigned_at": closes + timedelta(days=5, hours=rng.randint(1, 8))}
        if size:
            call["reviewers_per_proposal"] = min(per_proposal[call["kind"]], size)
        if call["phase"] is Phase.REVIEW:
            call["review_due_at"] = (now + timedelta(days=rng.randint(5, 20))).replace(hour=16)
            plan["reviews_end"] = now - timedelta(hours=1)
        else:
            if call["phase"] is Phase.NOTICE:
                opened = now - timedelta(days=rng.randint(1, call["notice_days"] - 1), hours=rng.randint(1, 8))
            else:
                opened = closes + timedelta(days=rng.randint(35, 50), hours=rng.randint(1, 8))
            opened = opened.replace(minute=0, second=0, microsecond=0)
            call["review_due_at"] = (opened - timedelta(days=3)).replace(hour=16)
            call["notice_opened_at"] = opened
            call["notice_ends_at"] = opened + timedelta(days=call["notice_days"])
            plan["reviews_end"] = opened - timedelta(days=1)
            organizer = self.organizer_ids[call["body_id"] - 1]
            self.results.append((call["id"], ResultStage.PROPOSED, opened, organizer))
            if call["phase"] is Phase.PUBLISHED:
                published = call["notice_ends_at"] + timedelta(days=1)
                call["results_published_at"] = published
                self.results.append((call["id"], ResultStage.FINAL, published, organizer))
        self.review_plan[call["id"]] = plan

    # Proposals ------------------------------------------------------------------------------

    def _text(self, english: bool, low: int, high: int) -> str:
        pool = texts.SENTENCES_EN if english else texts.SENTENCES_ZH
        joiner = " " if english else ""
        paragraphs = [joiner.join(self.rng.sample(pool, self.rng.randint(low, high)))
                      for _ in range(self.rng.randint(2, 3))]
        return "\n\n".join(paragraphs)

    def _budget(self, call: dict[str, Any], english: bool) -> list[dict[str, Any]]:
        rng = self.rng
        low, high = call["min_grant_fen"], call["max_grant_fen"]
        target = rng.randrange(low + (high - low) // 5, high)
        items = texts.BUDGET_ITEMS_EN if english else texts.BUDGET_ITEMS_ZH
        chosen = rng.sample(range(len(items)), rng.randint(3, 8))
        shares = [rng.uniform(1, 4) for _ in chosen]
        lines = []
        for item, share in zip(chosen, shares, strict=True):
            quantity = rng.choice((1, 1, 2, 4, 6, 10, 12))
            unit = max(100, int(target * share / sum(shares) / quantity) // 100 * 100)
            lines.append({"item": items[item], "unit_cost_fen": unit, "quantity": str(quantity)})
        return lines

    def _proposals(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        rng, scale = self.rng, self.scale
        registered = [g["id"] for g in self.group_rows if g["kind"] is GroupKind.REGISTERED]
        everyone = [g["id"] for g in self.group_rows]
        calls = [c for c in self.calls if c["phase"] is not Phase.DRAFT]
        eligible = {c["id"]: everyone if c["allow_grassroots"] else registered for c in calls}
        shares = _spread(rng, scale.proposals, [rng.uniform(0.6, 1.4) for _ in calls],
                         [len(eligible[c["id"]]) for c in calls])
        proposals: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        firsts: list[tuple[datetime, int]] = []
        for call, count in zip(calls, shares, strict=True):
            end = min(self.now, call["closes_at"]) - timedelta(hours=1)
            for group_id in sorted(rng.sample(eligible[call["id"]], count)):
                pid = len(proposals) + 1
                owner = self.members[group_id][0]
                english = rng.random() < 0.25
                idea = rng.choice(texts.IDEAS)
                community = rng.choice(texts.COMMUNITIES)
                district = rng.choice(call["districts"])
                if english:
                    title = f"{idea[2]} ({texts.DISTRICTS_EN[district]})"
                    first_summary = idea[3]
                else:
                    title = f"{community}社区{idea[0]}"
                    first_summary = idea[1]
                summary = first_summary + (" " if english else "") + rng.choice(
                    texts.SENTENCES_EN if english else texts.SENTENCES_ZH)
                sections = {s["key"]: self._text(english, 2, 4) for s in call["sections"]}
                budget = self._budget(call, english)
                total = sum(line_subtotal_fen(b["unit_cost_fen"], b["quantity"]) for b in budget)
                row = {
                    "id": pid, "call_id": call["id"], "group_id": group_id, "status": ProposalStatus.SUBMITTED,
                    "title": title, "summary": summary, "sections": sections, "budget": budget,
                    "requested_fen": total, "beneficiaries": rng.randrange(30, 800), "district": district,
                    "theme": rng.choice(call["themes"]), "created_by_id": owner, "updated_by_id": owner,
                    "comment_count": 0, "support_count": 0, "comments_locked": False,
                }
                first_at = _between(rng, call["opens_at"] + timedelta(days=1), end)
                times = [first_at]
                if rng.random() < scale.second_versions:
                    times.append(_between(rng, first_at, end))
                row.update(created_at=_between(rng, call["opens_at"], first_at), updated_at=times[-1],
                           submitted_at=times[-1], version_count=len(times), lock_version=2 + 2 * len(times))
                for version_no, moment in enumerate(times, start=1):
                    shown = dict(row, summary=first_summary) if version_no < len(times) else row
                    content = snapshot(self._as_proposal(shown, call))
                    versions.append({"id": len(versions) + 1, "proposal_id": pid, "version_no": version_no,
                                     "number": None, "submitted_at": moment, "submitted_by_id": owner,
                                     "content": content, "fingerprint": fingerprint(content)})
                proposals.append(row)
                firsts.append((first_at, pid))
                self.first_submitted[pid] = first_at
        counters = self._number(proposals, versions, firsts)
        self.proposals = proposals
        return proposals, versions, counters

    @staticmethod
    def _as_proposal(row: dict[str, Any], call: dict[str, Any]) -> Any:
        """What ``snapshot`` reads of a proposal, without a session."""
        total = sum(line_subtotal_fen(b["unit_cost_fen"], b["quantity"]) for b in row["budget"])
        return SimpleNamespace(call_id=row["call_id"], title=row["title"], summary=row["summary"],
                               sections=row["sections"], call=SimpleNamespace(sections=call["sections"]),
                               budget=row["budget"], budget_total_fen=total, beneficiaries=row["beneficiaries"],
                               district=row["district"], theme=row["theme"], current_attachments=[])

    def _number(self, proposals: list[dict[str, Any]], versions: list[dict[str, Any]],
                firsts: list[tuple[datetime, int]]) -> list[dict[str, Any]]:
        """Receipt numbers in order of first submission, per year and kind of call."""
        last: dict[tuple[int, str], int] = defaultdict(int)
        by_id = {p["id"]: p for p in proposals}
        for moment, pid in sorted(firsts):
            proposal = by_id[pid]
            key = (moment.year, self.call_by_id[proposal["call_id"]]["kind"].code)
            last[key] += 1
            proposal["number"] = f"{key[0]}-{key[1]}-{last[key]:04d}"
        for version in versions:
            version["number"] = by_id[version["proposal_id"]]["number"]
        return [{"year": year, "code": code, "last": n} for (year, code), n in sorted(last.items())]

    # Residents' voices ----------------------------------------------------------------------

    def _public(self) -> list[dict[str, Any]]:
        return [p for p in self.proposals if self.call_by_id[p["call_id"]]["phase"] in SHOWCASE_PHASES]

    def _residents(self) -> tuple[int, int]:
        return self.next_user, self.scale.users  # the first and last resident's id

    def _comment_texts(self) -> list[tuple[str, str]]:
        rng = self.rng
        made = []
        for index in range(DISTINCT_COMMENTS):
            english = index % 4 == 3
            pool = texts.COMMENT_EN if english else texts.COMMENT_ZH
            body = (" " if english else "").join(rng.sample(pool, rng.randint(1, 3)))
            if index % 5 == 0:
                body += rng.choice(texts.COMMENT_EXTRA)
            made.append((body, render_markdown(body)))  # bleach once per distinct text
        return made

    def _comments(self) -> list[dict[str, Any]]:
        rng = self.rng
        public = self._public()
        if not public or not self.scale.comments:
            return []
        bodies = self._comment_texts()
        first, last = self._residents()
        counts = _spread(rng, self.scale.comments, _weights(rng, len(public)))
        rows: list[dict[str, Any]] = []
        for proposal, count in zip(public, counts, strict=True):
            if not count:
                continue
            start = self.first_submitted[proposal["id"]]
            moments = sorted(_between(rng, start, self.now) for _ in range(count))
            top_level: list[int] = []
            team = self.members[proposal["group_id"]]
            for moment in moments:
                cid = len(rows) + 1
                by_team = rng.random() < 0.04
                parent = rng.choice(top_level) if top_level and rng.random() < 0.2 else None
                markdown, html = bodies[rng.randrange(len(bodies))]
                rows.append({"id": cid, "proposal_id": proposal["id"], "parent_id": parent,
                             "author_id": rng.choice(team) if by_team else rng.randint(first, last),
                             "body_markdown": markdown, "body_html": html, "status": CommentStatus.VISIBLE,
                             "by_applicant_team": by_team, "held_reason": "", "created_at": moment,
                             "edited_at": None, "moderated_at": None, "moderated_by_id": None,
                             "moderation_reason": "", "report_count": 0})
                if parent is None:
                    top_level.append(cid)
            proposal["comment_count"] = count
        return rows

    def _supports(self) -> list[dict[str, Any]]:
        rng = self.rng
        public = self._public()
        first, last = self._residents()
        wanted = min(self.scale.supports, len(public) * (last - first + 1))
        if not public or not wanted:
            return []
        weights = _weights(rng, len(public))
        cumulative = []
        running = 0.0
        for weight in weights:
            running += weight
            cumulative.append(running)
        seen: set[tuple[int, int]] = set()
        rows: list[dict[str, Any]] = []
        while len(rows) < wanted:
            for index in rng.choices(range(len(public)), cum_weights=cumulative, k=wanted - len(rows)):
                proposal = public[index]
                user = rng.randint(first, last)
                if (proposal["id"], user) in seen:
                    continue
                seen.add((proposal["id"], user))
                proposal["support_count"] += 1
                rows.append({"id": len(rows) + 1, "proposal_id": proposal["id"], "user_id": user,
                             "created_at": _between(rng, proposal["submitted_at"], self.now)})
        return rows

    # The review stage -----------------------------------------------------------------------

    def _screen(self, proposals: list[dict[str, Any]]) -> None:
        """Every submitted proposal of a call under review or later is screened:
        eligible, but for a few (at least one per call) found ineligible."""
        rng = self.review_rng
        by_call: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for proposal in proposals:
            proposal.update(screening=Screening.PENDING, screening_reason="", screened_at=None)
            if proposal["call_id"] in self.review_plan:
                by_call[proposal["call_id"]].append(proposal)
        for call_id, own in by_call.items():
            closes = self.call_by_id[call_id]["closes_at"]
            out = {p["id"] for p in rng.sample(own, max(1, round(len(own) * INELIGIBLE_SHARE)))} \
                if len(own) > 1 else set()
            for proposal in own:
                eligible = proposal["id"] not in out
                proposal.update(screening=Screening.ELIGIBLE if eligible else Screening.INELIGIBLE,
                                screening_reason=texts.ELIGIBLE_REASON if eligible
                                else rng.choice(texts.INELIGIBLE_REASONS),
                                screened_at=closes + timedelta(days=1, hours=rng.uniform(1, 60)))

    def _panels(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One draw per call from its body's pool; every drawn expert accepted
        and declared no conflict."""
        rng = self.review_rng
        draws: list[dict[str, Any]] = []
        members: list[dict[str, Any]] = []
        for call_id, plan in self.review_plan.items():
            call = self.call_by_id[call_id]
            pool = [drawing.Candidate(e["id"], e["expertise"]) for e in self.experts if e["body_id"] == call["body_id"]]
            if not plan["size"] or not pool:
                continue
            wanted = {FINANCE: 2, "social_work": 1} if call["kind"] is CallKind.SOCIAL_VENTURE else {FINANCE: 1}
            minimums = {area: min(n, plan["size"]) for area, n in wanted.items()}
            result = drawing.draw_panel(plan["seed"], pool, plan["size"], minimums)
            draw_id = len(draws) + 1
            draws.append({"id": draw_id, "call_id": call_id, "seed": plan["seed"], "size": plan["size"],
                          "minimums": minimums, "pool_snapshot": drawing.snapshot(pool),
                          "chosen": list(result.chosen), "shortfalls": dict(result.shortfalls),
                          "replaces_member_id": None, "created_at": plan["drawn_at"],
                          "created_by_id": self.organizer_ids[call["body_id"] - 1]})
            for expert_id in result.chosen:
                responded = plan["drawn_at"] + timedelta(hours=rng.uniform(1, 40))
                members.append({"id": len(members) + 1, "call_id": call_id, "expert_id": expert_id,
                                "draw_id": draw_id, "manual": False, "status": MemberStatus.ACCEPTED,
                                "responded_at": responded,
                                "conflicts_declared_at": responded + timedelta(hours=rng.uniform(0.2, 40)),
                                "created_at": plan["drawn_at"]})
        return draws, members

    def _reviews(self, members: list[dict[str, Any]]
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """Each eligible proposal to the call's number of reviewers, round robin
        over the panel (loads differ by one at most); a review for each, but
        in calls still under review some not started and some drafts."""
        rng = self.review_rng
        panel: dict[int, list[int]] = defaultdict(list)
        for member in members:
            panel[member["call_id"]].append(member["id"])
        # How each member scores (a little kind or a little strict) and writes (some in English).
        leniency = {m["id"]: rng.gauss(0, 0.06) for m in members}
        english = {m["id"]: rng.random() < 0.2 for m in members}
        assignments: list[dict[str, Any]] = []
        reviews: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        for call_id, plan in self.review_plan.items():
            call = self.call_by_id[call_id]
            seats = panel.get(call_id)
            if not seats:
                continue
            per = call["reviewers_per_proposal"]
            criteria = self.criteria_by_call[call_id]
            own = [p for p in self.proposals if p["call_id"] == call_id and p["screening"] is Screening.ELIGIBLE]
            for index, proposal in enumerate(own):
                quality = rng.uniform(0.35, 0.95)
                for k in range(per):
                    member = seats[(index * per + k) % len(seats)]
                    assignment_id = len(assignments) + 1
                    assignments.append({"id": assignment_id, "proposal_id": proposal["id"], "member_id": member,
                                        "manual": False, "seed": plan["seed"], "created_at": plan["assigned_at"],
                                        "ended_at": None, "ended_reason": ""})
                    state = ReviewStatus.SUBMITTED
                    if call["phase"] is Phase.REVIEW:
                        roll = rng.random()
                        if roll < NOT_STARTED_SHARE:
                            continue
                        if roll < NOT_STARTED_SHARE + DRAFT_SHARE:
                            state = ReviewStatus.DRAFT
                    when = _between(rng, plan["assigned_at"] + timedelta(hours=1), plan["reviews_end"])
                    sheet = self._sheet(criteria, quality + leniency[member], english[member])
                    review_id = len(reviews) + 1
                    row = {"id": review_id, "assignment_id": assignment_id, "status": state, "lock_version": 2,
                           "updated_at": when}
                    if state is ReviewStatus.DRAFT:
                        half = criteria[:max(1, len(criteria) // 2)]
                        row.update(scores={str(c.id): scoring.plain(sheet["scores"][str(c.id)]) for c in half},
                                   reasons={str(c.id): sheet["reasons"][str(c.id)] for c in half},
                                   comment_to_applicant="", note_to_organizer="", submitted_at=None, version_count=0)
                    else:
                        content = scoring.freeze(criteria, sheet["scores"], sheet["reasons"], sheet["comment"],
                                                 sheet["note"])
                        row.update(scores={k: scoring.plain(v) for k, v in sheet["scores"].items()},
                                   reasons={k: v.strip() for k, v in sheet["reasons"].items()},
                                   comment_to_applicant=sheet["comment"].strip(),
                                   note_to_organizer=sheet["note"].strip(), submitted_at=when, version_count=1)
                        versions.append({"id": len(versions) + 1, "review_id": review_id, "version_no": 1,
                                         "submitted_at": when, "content": content,
                                         "total": Decimal(content["total"]),
                                         "fingerprint": scoring.fingerprint(content)})
                    reviews.append(row)
        return assignments, reviews, versions

    def _sheet(self, criteria: list[Any], level: float, english: bool) -> dict[str, Any]:
        """A score sheet: half-point scores around ``level`` (a share of each
        maximum), a reason for each, a comment to the group most of the time."""
        rng = self.review_rng
        scores: dict[str, Decimal] = {}
        reasons: dict[str, str] = {}
        for criterion in criteria:
            top = criterion.max_points
            share = min(1.0, max(0.0, rng.gauss(level, 0.1)))
            score = min(top, Decimal(round(share * float(top) * 2)) / 2)
            band = "high" if score >= top * Decimal("0.75") else "mid" if score >= top / 2 else "low"
            scores[str(criterion.id)] = score
            reasons[str(criterion.id)] = texts.REASONS_EN[criterion.name][band] if english \
                else rng.choice(texts.REASONS_ZH[criterion.name][band])
        comment = ""
        if rng.random() < 0.7:
            comment = rng.choice(texts.REVIEW_COMMENTS_EN if english else texts.REVIEW_COMMENTS_ZH)
        note = rng.choice(texts.ORGANIZER_NOTES) if rng.random() < 0.05 else ""
        return {"scores": scores, "reasons": reasons, "comment": comment, "note": note}
