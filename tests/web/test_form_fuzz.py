"""Property-based fuzzing of the main forms: random text (unicode, control
characters, very long strings, HTML and script), numbers written every odd
way, and random files, posted as a browser would (with the CSRF token).

For every form: never a server error; a refusal (4xx) stores nothing; and
whatever a success stores passes the same rules the form enforces. Each
test builds its world once and posts every example against it, so what one
example stored is checked again by the next.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import random
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.builders import make_body, make_call, make_group, pdf_bytes, png_bytes
from tests.conftest import Client, login, make_user
from tests.public_results_builders import make_results_world
from tests.review_builders import make_expert, make_review_world, make_submitted_proposal
from venture.accounts.models import User
from venture.bodies.models import PoolExpert
from venture.calls.models import Call, Criterion, Phase
from venture.comments.models import Comment
from venture.extensions import db
from venture.groups import creditcode
from venture.groups.forms import PHONE
from venture.groups.models import Group, GroupKind, RegistrationType
from venture.proposals import files, storage
from venture.proposals.models import Proposal, Screening
from venture.results.models import Objection
from venture.review import scoring
from venture.review.expertise import AREAS
from venture.review.models import Assignment, Review, ReviewVersion
from venture.screening.services import INELIGIBLE_CATEGORIES as INELIGIBLE

# VENTURE_FUZZ_EXAMPLES=500 for a longer hunt; the default keeps the suite quick.
FUZZ = settings(max_examples=int(os.environ.get("VENTURE_FUZZ_EXAMPLES", 25)), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
MAX_ID = 2**31 - 1
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A script, an event handler or a javascript: link in rendered HTML (escaped text is harmless).
UNSAFE_HTML = re.compile(r"<\s*(script|iframe|object|embed|style)|<[^>]*\son\w+\s*="
                         r"|(href|src)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)


@pytest.fixture
def app_config():
    high = 100_000
    return {"LOGIN_LIMIT_PER_ADDRESS": high, "LOGIN_LIMIT_PER_ACCOUNT": high, "FORM_LIMIT_PER_ADDRESS": high,
            "COMMENT_LIMIT_PER_USER": high, "COMMENT_LIMIT_NEW_ACCOUNT": high, "COMMENT_LIMIT_PER_ADDRESS": high,
            "OBJECTION_LIMIT_PER_USER": high, "OBJECTION_LIMIT_PER_ADDRESS": high}


@pytest.fixture(autouse=True)
def nothing_logged_as_error(caplog):
    """A failure the visitor never sees (a search index left behind, a mail not queued) is a failure too."""
    caplog.set_level(logging.ERROR)
    yield
    errors = [record for record in caplog.get_records("call") if record.levelno >= logging.ERROR]
    assert not errors, [record.getMessage() for record in errors]


# Strategies ------------------------------------------------------------------------------------

NASTY = [
    "", " ", "\t", "\x00", "a\x00b", "\x07\x08", "\x1b[31mred", "\r\n\r\n", "\u2028", "\u202e evil", "\ufeff",
    "\u200b", "İ", "ß", "ﬃ", "７", "٣", "𠜎𠜱", "😀👍🏽", "e\u0301", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "javascript:alert(1)", "[x](javascript:alert(1))", "{{ 7*7 }}", "{% raw %}",
    "%s%n%x", "'; DROP TABLE users; --", "=HYPERLINK(\"http://evil.example\")", "../../etc/passwd",
    "\\\\server\\share", "null", "None", "NaN", "-0", "1e309", "\ud7ff", "\U0010ffff",
]
NUMBER_WORDS = [
    "", " ", "0", "-0", "0.0", "7", "7.5", "7,5", "7.25", "10", "10.5", "11", "-1", "-7.5", "NaN", "nan", "-NaN",
    "sNaN", "Infinity", "-Infinity", "inf", "1e309", "-1e309", "1e-400", "1E2", "0.5e1", "７", "７.５", "٣", "1_000",
    "0x1F", "1,000.50", " 3 ", "3.", ".5", "+5", "9" * 400, "1e999999999", "0.00000000000000000001", "1/2",
    "2147483648", "99999999999999999999", "100000000", "100000000.01", "1000000", "1000001",
]


def text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Random text: any code point but surrogates, the nasty strings, and mixtures of both."""
    pieces = st.one_of(st.sampled_from(NASTY), st.text(max_size=8))
    return st.one_of(st.text(max_size=max_size), st.sampled_from(NASTY),
                     st.lists(pieces, max_size=6).map("".join))


def near(limit: int) -> st.SearchStrategy[str]:
    """Text of about ``limit`` characters: just under, at, just over, far over; with wide characters."""
    return st.tuples(st.sampled_from([limit - 1, limit, limit + 1, limit * 3]),
                     st.sampled_from(["字", "a", "😀", " a", "\x00"])).map(lambda p: (p[1] * p[0])[:p[0]])


def wild(limit: int) -> st.SearchStrategy[str]:
    return st.one_of(text(), near(limit))


def number() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(NUMBER_WORDS), st.integers().map(str),
                     st.decimals(allow_nan=True, allow_infinity=True).map(str), st.floats().map(repr), text(12))


PDF = pdf_bytes()
PNG = png_bytes()


def upload() -> st.SearchStrategy[tuple[bytes, str]]:
    """(bytes, filename): garbage, real files, truncated and disguised ones, with random names."""
    content = st.one_of(
        st.binary(max_size=1024), st.just(PDF), st.just(PNG), st.just(b""),
        st.integers(1, len(PDF) - 1).map(lambda n: PDF[:n]),
        st.binary(max_size=256).map(lambda b: b"%PDF-1.7\n" + b),
        st.binary(max_size=256).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
        st.binary(max_size=256).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=64).map(lambda b: b"\xff\xd8\xff" + b))
    name = st.one_of(
        st.sampled_from(["a.pdf", "预算表.pdf", "A.PDF", "b.png", "x.exe", "a.pdf.exe", "../../etc/passwd.pdf",
                         "con.pdf", "a" * 300 + ".pdf", "\x00.pdf", "<script>.pdf", "a\r\nContent-Type: x.pdf",
                         ".pdf", "pdf", "a.", "\u202egpj.pdf", "报告.docx", "x.xlsx"]),
        text(30), text(20).map(lambda t: t + ".pdf"))
    return st.tuples(content, name)


def mutated(valid: dict[str, st.SearchStrategy], wild_values: dict[str, st.SearchStrategy],
            max_changes: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    """A form that would pass, with up to ``max_changes`` fields replaced by wild values; so both
    successes and refusals are explored."""

    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        data = {key: draw(strategy) for key, strategy in valid.items()}
        for key in draw(st.sets(st.sampled_from(sorted(wild_values)), max_size=max_changes)):
            data[key] = draw(wild_values[key])
        return data

    return build()


def prose(min_size: int = 1, max_size: int = 60) -> st.SearchStrategy[str]:
    """Ordinary text a person types (letters, Chinese, punctuation, spaces), never blank."""
    alphabet = st.characters(categories=("L", "N", "P", "Zs", "S"), exclude_characters="\x00")
    return st.text(alphabet, min_size=min_size, max_size=max_size).filter(lambda t: len(t.strip()) >= min_size)


# Helpers ----------------------------------------------------------------------------------------

class FuzzClient(Client):
    """Fetches the CSRF token once per sign-in rather than before every post."""

    token: str | None = None

    def csrf_token(self) -> str:
        if self.token is None:
            self.token = super().csrf_token()
        return self.token


def signed_in(app, email: str | None) -> FuzzClient:
    client = FuzzClient(app, app.response_class, use_cookies=True)
    if email:
        login(client, email)
        client.token = None  # the session was renewed at log-in
    return client


def post(client: FuzzClient, url: str, data: dict[str, Any]) -> Any:
    # Hypothesis seeds the global random module alike for every example, and the search index (Whoosh)
    # names its segments from it: without fresh entropy two examples would write the same segment.
    random.seed()
    data = {**data, "csrf_token": client.csrf_token()}
    multipart = any(isinstance(v, tuple) for v in data.values())
    if multipart:
        data = {k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
        response = client.post(url, data=data, content_type="multipart/form-data")
    else:
        response = client.post(url, data=data)
    assert response.status_code < 500, f"{response.status_code} for {url} with {data!r}"
    return response


def count(app, model, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def rows(app, model, *where: Any) -> list[Any]:
    with app.app_context():
        found = list(db.session.scalars(select(model).where(*where).order_by(model.id)))
        db.session.expunge_all()
        return found


def clean_text(value: str | None, limit: int, *, required: bool = False, minimum: int = 0) -> None:
    """A stored text: trimmed where the form trims, within its length, and storable anywhere."""
    assert value is not None or not required
    value = value or ""
    assert len(value) <= limit, (len(value), limit)
    assert len(value) >= minimum, (value, minimum)
    if required:
        assert value.strip()
    assert "\x00" not in value, value


def valid_email(value: str) -> None:
    assert len(value) <= 254
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        pytest.fail(f"stored e-mail address {value!r} is not valid: {error}")


# Registration -----------------------------------------------------------------------------------

PASSWORD = "Fuzz-horse-battery-staple-42"


def test_register(app):
    client = signed_in(app, None)
    valid = {"display_name": prose(1, 80), "email": st.emails(), "password": st.just(PASSWORD)}
    wilds = {"display_name": wild(80), "email": st.one_of(wild(254), st.emails().map(lambda e: "İ" * 250 + e)),
             "password": wild(200), "password_again": text()}

    @FUZZ
    @given(data=mutated(valid, wilds))
    @example(data={"display_name": "a\x00b", "email": "nul@example.org", "password": PASSWORD})  # was a 500 on PostgreSQL
    def run(data):
        data.setdefault("password_again", data["password"])
        before = max([u.id for u in rows(app, User)] or [0])
        users = count(app, User)
        response = post(client, "/register", data)
        if response.status_code >= 400:
            assert count(app, User) == users
            return
        assert response.status_code == 302
        for user in rows(app, User, User.id > before):
            clean_text(user.display_name, 80, required=True)
            assert user.display_name == user.display_name.strip()
            valid_email(user.email)
            assert user.email == user.email.strip().lower()
            assert user.email_verified_at is None and not user.is_site_admin

    run()


# Groups -----------------------------------------------------------------------------------------

CREDIT_CODE = st.text(creditcode.ALPHABET, min_size=17, max_size=17).map(creditcode.complete)
PHONES = st.from_regex(r"\A1[3-9][0-9]{9}\Z|\A0[0-9]{2,3}-[0-9]{7,8}\Z")


def test_create_group(app):
    make_user(app, "owner@example.org")
    client = signed_in(app, "owner@example.org")
    valid = {"kind": st.sampled_from(["registered", "grassroots"]), "name": prose(1, 120),
             "credit_code": CREDIT_CODE, "registration_type": st.sampled_from([t.value for t in RegistrationType]),
             "founded_year": st.integers(1949, 2025).map(str), "address": prose(0, 200),
             "filed_with": prose(1, 120), "contact_name": prose(1, 80), "contact_phone": PHONES,
             "contact_email": st.emails(), "description": prose(0, 2000)}
    wilds = {"kind": text(), "name": wild(120), "credit_code": st.one_of(text(), CREDIT_CODE.map(str.lower)),
             "registration_type": text(), "founded_year": number(), "address": wild(200), "filed_with": wild(120),
             "contact_name": wild(80), "contact_phone": st.one_of(wild(30), number()), "contact_email": wild(254),
             "description": wild(2000)}

    @FUZZ
    @given(data=mutated(valid, wilds))
    @example(data={"kind": "grassroots", "name": "邻里队", "filed_with": "居委会", "contact_name": "赵",  # NUL: a 500
                   "contact_phone": "13900139004", "contact_email": "a@example.org", "description": "a\x00b"})
    def run(data):
        before = count(app, Group)
        last = max([g.id for g in rows(app, Group)] or [0])
        response = post(client, "/groups/new", data)
        if response.status_code >= 400:
            assert count(app, Group) == before
            return
        assert response.status_code == 302
        (group,) = rows(app, Group, Group.id > last)
        clean_text(group.name, 120, required=True)
        clean_text(group.contact_name, 80, required=True)
        clean_text(group.address, 200)
        clean_text(group.description, 2000)
        assert PHONE.match(group.contact_phone) and len(group.contact_phone) <= 30
        valid_email(group.contact_email)
        assert group.founded_year is None or 1949 <= group.founded_year <= datetime.now().year
        if group.kind is GroupKind.REGISTERED:
            assert group.credit_code and creditcode.is_valid(group.credit_code)
            assert group.registration_type in set(RegistrationType) and not group.filed_with
        else:
            assert group.credit_code is None
            clean_text(group.filed_with, 120, required=True)

    run()


# The proposal editor ------------------------------------------------------------------------------

def _proposal_state(app, proposal_id: int) -> tuple[Any, ...]:
    with app.app_context():
        p = db.session.get(Proposal, proposal_id)
        attachments = [(a.id, a.removed_at) for a in p.attachments]
        return (p.title, p.summary, dict(p.sections), list(p.budget), p.requested_fen, p.beneficiaries,
                p.district, p.theme, p.lock_version, attachments)


def _check_budget_line(line: dict[str, Any]) -> None:
    assert set(line) == {"item", "unit_cost_fen", "quantity"}
    clean_text(line["item"], 200)
    assert isinstance(line["unit_cost_fen"], int) and 0 <= line["unit_cost_fen"] <= 100_000_000 * 100
    quantity = Decimal(line["quantity"])
    assert quantity.is_finite() and 0 <= quantity <= 1_000_000, line


def test_proposal_editor(app):
    make_user(app, "owner@example.org")
    make_user(app, "organizer@example.org")
    body = make_body(app, "organizer@example.org")
    call_id = make_call(app, body, Phase.OPEN)
    group = make_group(app, "owner@example.org")
    client = signed_in(app, "owner@example.org")
    proposal_id = int(post(client, f"/calls/{call_id}/apply", {"group": group}).location.split("/")[2])
    with app.app_context():
        call = db.session.get(Call, call_id)
        districts, themes = list(call.districts), list(call.themes)
        section_keys = [s["key"] for s in call.sections]

    line = st.fixed_dictionaries({"item": prose(1, 30), "unit_cost": st.integers(1, 30_000).map(str),
                                  "quantity": st.sampled_from(["1", "2", "0.5", "12"])})
    wild_line = st.fixed_dictionaries({"item": wild(200), "unit_cost": number(), "quantity": number()})
    valid = {"title": prose(1, 200), "summary": prose(0, 1000), "district": st.sampled_from(["", *districts]),
             "theme": st.sampled_from(["", *themes]), "beneficiaries": st.integers(0, 500).map(str),
             "budget": st.lists(line, max_size=4), "action": st.just("save"),
             **{f"section_{key}": prose(0, 300) for key in section_keys}}
    wilds = {"title": wild(200), "summary": wild(1000), "district": wild(60), "theme": wild(60),
             "beneficiaries": number(), "budget": st.lists(st.one_of(line, wild_line), max_size=6),
             "lots_of_lines": st.integers(55, 70), "file_a1": upload(), "file_other": upload(),
             "remove_attachment": st.one_of(number(), st.just("latest")), "lock_version": number(),
             "action": st.sampled_from(["submit", "", "x" * 1000]),
             **{f"section_{key}": wild(20_000) for key in section_keys}}

    def budget_case(*lines: tuple[str, str], **fields: Any) -> dict[str, Any]:
        base = {"title": "菜园", "summary": "", "district": "", "theme": "", "beneficiaries": "3", "action": "save",
                **{f"section_{key}": "" for key in section_keys}}
        return {**base, "budget": [{"item": "种子", "unit_cost": cost, "quantity": quantity} for cost, quantity in lines],
                **fields}

    @FUZZ
    @given(data=mutated(valid, wilds))
    # Each of these was a 500 (or, on SQLite, stored what PostgreSQL refuses):
    @example(data=budget_case(("sNaN", "1")))  # a signalling NaN made the range check raise
    @example(data=budget_case(("1e309", "2")))  # the page shown back multiplied what was typed
    @example(data=budget_case(("Infinity", "2")))
    @example(data=budget_case(("100000000", "1000000")))  # the total overflowed the requested amount's column
    @example(data=budget_case(("21474837", "1")))
    @example(data=budget_case(("1", "1"), lots_of_lines=61))  # more lines than the form's rows
    @example(data=budget_case(("1", "1"), district="0"))  # a district the call does not list (or > 60 characters)
    @example(data=budget_case(("1", "1"), theme="长" * 61))
    @example(data=budget_case(("1", "1"), title="a\x00b", section_problem="\x00"))  # NUL
    def run(data):
        before = _proposal_state(app, proposal_id)
        form = {k: v for k, v in data.items() if k not in ("budget", "lots_of_lines")}
        form.setdefault("lock_version", str(before[8]))
        if form.get("remove_attachment") == "latest":
            form["remove_attachment"] = str(before[9][-1][0]) if before[9] else ""
        lines = data["budget"]
        if "lots_of_lines" in data:
            lines = [{"item": f"第{n}项", "unit_cost": "1", "quantity": "1"} for n in range(data["lots_of_lines"])]
        for index, row in enumerate(lines):
            for key, value in row.items():
                form[f"budget-{index}-{key}"] = value
        response = post(client, f"/proposals/{proposal_id}/edit", form)
        if response.status_code >= 400:
            assert _proposal_state(app, proposal_id) == before
            return
        assert response.status_code == 302
        with app.app_context():
            p = db.session.get(Proposal, proposal_id)
            clean_text(p.title, 200)
            clean_text(p.summary, 1000)
            assert p.title == p.title.strip() and p.summary == p.summary.strip()
            assert set(p.sections) == set(section_keys)
            for value in p.sections.values():
                clean_text(value, 20_000)
            assert len(p.budget) <= 60
            for stored in p.budget:
                _check_budget_line(stored)
            assert p.requested_fen == max(0, p.budget_total_fen) and 0 <= p.requested_fen <= MAX_ID
            assert p.beneficiaries is None or 0 <= p.beneficiaries <= 10_000_000
            assert p.district in ["", *districts] and p.theme in ["", *themes]
            assert p.lock_version > before[8]  # one more per flush: text, then each file
            total = 0
            for attachment in p.current_attachments:
                assert attachment.slot in {"a1", "other"}
                kind = files.FileKind(attachment.kind)
                assert files.safe_filename(attachment.filename) == attachment.filename
                assert attachment.filename.lower().endswith(tuple(files.EXTENSIONS[kind]))
                data_stored = storage.read(attachment.stored_name)
                assert len(data_stored) == attachment.size and 0 < attachment.size <= app.config["ATTACHMENT_MAX_BYTES"]
                assert hashlib.sha256(data_stored).hexdigest() == attachment.sha256
                assert files.sniff(data_stored) is kind
                total += attachment.size
            assert total <= app.config["PROPOSAL_ATTACHMENTS_MAX_BYTES"]
            assert len([a for a in p.current_attachments if a.slot == "a1"]) <= 1

    run()


# Comments ---------------------------------------------------------------------------------------

def test_post_comment(app):
    for email in ("resident@example.org", "organizer@example.org", "owner@example.org"):
        make_user(app, email)
    body = make_body(app, "organizer@example.org")
    call_id = make_call(app, body, Phase.OPEN)
    group = make_group(app, "owner@example.org")
    proposal_id = make_submitted_proposal(app, call_id, group)["proposal_id"]
    other_id = make_submitted_proposal(app, make_call(app, body, Phase.OPEN), make_group(
        app, "owner@example.org", name="Other team"))["proposal_id"]
    client = signed_in(app, "resident@example.org")
    first = post(client, f"/proposals/{proposal_id}/comments", {"body": "第一条评论"})
    assert first.status_code == 302
    (top,) = rows(app, Comment)
    valid = {"body": prose(1, 5000)}
    wilds = {"body": wild(5000), "parent_id": st.one_of(number(), st.just(str(top.id)))}

    @FUZZ
    @given(data=mutated(valid, wilds), target=st.sampled_from([proposal_id, proposal_id, other_id]))
    def run(data, target):
        before = count(app, Comment)
        last = max(c.id for c in rows(app, Comment))
        response = post(client, f"/proposals/{target}/comments", data)
        if response.status_code >= 400:
            assert count(app, Comment) == before
            return
        assert response.status_code == 302
        (comment,) = rows(app, Comment, Comment.id > last)
        clean_text(comment.body_markdown, 5000, required=True)
        assert not CONTROL.search(comment.body_markdown)
        assert comment.body_markdown == comment.body_markdown.strip()
        assert not UNSAFE_HTML.search(comment.body_html), comment.body_html
        assert comment.proposal_id == target
        if comment.parent_id is not None:  # a reply goes to a visible top-level comment of the same proposal
            with app.app_context():
                parent = db.session.get(Comment, comment.parent_id)
                assert parent.proposal_id == target and parent.parent_id is None

    run()


# The review score sheet ---------------------------------------------------------------------------

def _review_state(app, assignment_id: int) -> tuple[Any, ...]:
    with app.app_context():
        review = db.session.scalar(select(Review).where(Review.assignment_id == assignment_id))
        versions = db.session.scalar(select(func.count()).select_from(ReviewVersion))
        if review is None:
            return (None, versions)
        return (dict(review.scores), dict(review.reasons), review.comment_to_applicant, review.note_to_organizer,
                review.status, review.version_count, review.lock_version, versions)


def test_review_score_sheet(app):
    for email in ("organizer@example.org", "owner@example.org", "reviewer@example.org"):
        make_user(app, email)
    body = make_body(app, "organizer@example.org")
    group = make_group(app, "owner@example.org")
    ids = make_review_world(app, body, group, "reviewer@example.org")
    assignment_id = ids["assignment_id"]
    with app.app_context():
        criteria = [(c.id, c.max_points, c.weight) for c in db.session.scalars(
            select(Criterion).where(Criterion.call_id == ids["review_call_id"]).order_by(Criterion.position))]
    client = signed_in(app, "reviewer@example.org")
    half_points = st.integers(0, 20).map(lambda n: scoring.plain(Decimal(n) / 2))
    valid = {"comment": prose(0, 200), "note": prose(0, 200), "action": st.sampled_from(["save", "submit"]),
             **{f"score_{cid}": half_points for cid, _, _ in criteria},
             **{f"reason_{cid}": prose(10, 200) for cid, _, _ in criteria}}
    wilds = {"comment": wild(5000), "note": wild(5000), "action": text(), "lock_version": number(),
             **{f"score_{cid}": number() for cid, _, _ in criteria},
             **{f"reason_{cid}": wild(5000) for cid, _, _ in criteria}}

    def check_score(value: str, top: Decimal) -> None:
        parsed = Decimal(value)
        assert parsed.is_finite() and 0 <= parsed <= top and (parsed * 2) == (parsed * 2).to_integral_value()
        assert value == scoring.plain(parsed), value  # stored as typed plainly: "7.5", never "7.50" or "-0"

    def sheet(**fields: Any) -> dict[str, Any]:
        return {"comment": "", "note": "", "action": "save", **{f"score_{cid}": "7.5" for cid, _, _ in criteria},
                **{f"reason_{cid}": "理由充分，计划清楚。" for cid, _, _ in criteria}, **fields}

    first = criteria[0][0]

    @FUZZ
    @given(data=mutated(valid, wilds, max_changes=4))
    @example(data=sheet(comment="a\x00b"))  # a 500 on PostgreSQL
    @example(data=sheet(**{f"reason_{first}": "\x00" * 3 + "理由充分，计划清楚。"}, action="submit"))
    @example(data=sheet(**{f"score_{first}": "sNaN"}))
    @example(data=sheet(**{f"score_{first}": "７.５"}, action="submit"))
    @example(data=sheet(**{f"score_{first}": "-0"}))
    @example(data=sheet(**{f"score_{first}": "1e309"}))
    def run(data):
        before = _review_state(app, assignment_id)
        with app.app_context():
            lock = db.session.get(Assignment, assignment_id)
            data.setdefault("lock_version", str(lock.review.lock_version if lock.review else 0))
        response = post(client, f"/review/{assignment_id}", data)
        if response.status_code >= 400:
            assert _review_state(app, assignment_id) == before
            return
        assert response.status_code == 302
        with app.app_context():
            review = db.session.scalar(select(Review).where(Review.assignment_id == assignment_id))
            for cid, top, _ in criteria:
                if str(cid) in review.scores:
                    check_score(review.scores[str(cid)], top)
                clean_text(review.reasons.get(str(cid)), 5000)
            assert set(review.scores) <= {str(c) for c, _, _ in criteria}
            clean_text(review.comment_to_applicant, 5000)
            clean_text(review.note_to_organizer, 5000)
            for version in review.versions:
                assert Decimal(0) <= version.total <= Decimal(100)
                assert version.content["total"] == format(version.total, "f")
                for item, (cid, top, _) in zip(version.content["criteria"], criteria, strict=True):
                    assert item["id"] == cid
                    check_score(item["score"], top)
                    assert len(item["reason"].strip()) >= scoring.MIN_REASON_CHARS
                    clean_text(item["reason"], 5000)
            if review.version_count:
                assert len(review.versions) == review.version_count

    run()


# Screening --------------------------------------------------------------------------------------

def test_screening_decision(app):
    make_user(app, "organizer@example.org")
    make_user(app, "owner@example.org")
    body = make_body(app, "organizer@example.org")
    call_id = make_call(app, body, Phase.CLOSED)
    proposal_id = make_submitted_proposal(app, call_id, make_group(app, "owner@example.org"))["proposal_id"]
    client = signed_in(app, "organizer@example.org")
    valid = {"decision": st.sampled_from(["eligible", "ineligible"]), "reason": prose(5, 300),
             "category": st.sampled_from(["amount", "attachments", "conditions"])}
    wilds = {"decision": text(), "reason": wild(2000), "category": text()}

    def state() -> tuple[Any, ...]:
        with app.app_context():
            p = db.session.get(Proposal, proposal_id)
            return p.screening, p.screening_reason, p.screened_at, p.lock_version

    @FUZZ
    @given(data=mutated(valid, wilds))
    @example(data={"decision": "eligible", "reason": "\x00" * 5 + "符合条件。"})  # NUL stored, or a 500 on PostgreSQL
    def run(data):
        before = state()
        response = post(client, f"/calls/{call_id}/screening/{proposal_id}", data)
        if response.status_code >= 400:
            assert state() == before
            return
        assert response.status_code == 302
        screening, reason, screened_at, _ = state()
        assert screening in (Screening.ELIGIBLE, Screening.INELIGIBLE) and screened_at is not None
        with app.app_context():
            category = db.session.get(Proposal, proposal_id).screening_category
        assert category == "meets_conditions" if screening is Screening.ELIGIBLE else category in INELIGIBLE
        clean_text(reason, 2000, required=True, minimum=5)
        assert reason == reason.strip()

    run()


# Objections -------------------------------------------------------------------------------------

def test_lodge_objection(app):
    ids = make_results_world(app, Phase.NOTICE)
    client = signed_in(app, "resident@example.org")
    numbers = {ids[f"number_{k}"]: ids[f"proposal_{k}"] for k in ("a", "b", "c")}
    valid = {"text": prose(20, 400), "line": st.sampled_from(["", *numbers])}
    wilds = {"text": wild(5000), "line": text(), "attachment": upload()}

    @FUZZ
    @given(data=mutated(valid, wilds))
    def run(data):
        before = count(app, Objection)
        last = max([o.id for o in rows(app, Objection)] or [0])
        response = post(client, f"/calls/{ids['call_id']}/objections", data)
        if response.status_code >= 400:
            assert count(app, Objection) == before
            return
        assert response.status_code == 302
        (objection,) = rows(app, Objection, Objection.id > last)
        clean_text(objection.text, 5000, required=True, minimum=20)
        assert not CONTROL.search(objection.text) and objection.text == objection.text.strip()
        assert objection.proposal_id in (None, *numbers.values())
        if objection.attachment_stored:
            kind = files.FileKind(objection.attachment_kind)
            assert kind in (files.FileKind.PDF, files.FileKind.JPEG, files.FileKind.PNG)
            assert files.safe_filename(objection.attachment_name) == objection.attachment_name
            with app.app_context():
                assert files.sniff(storage.read(objection.attachment_stored)) is kind
        else:
            assert not objection.attachment_name and not objection.attachment_kind

    run()


# The expert profile -----------------------------------------------------------------------------

def test_expert_profile(app):
    make_user(app, "organizer@example.org")
    make_user(app, "expert@example.org")
    body = make_body(app, "organizer@example.org")
    expert_id = make_expert(app, body, "expert@example.org")
    client = signed_in(app, "expert@example.org")
    relations = ["employer", "past_employer", "board", "tie"]
    row = st.fixed_dictionaries({"name": prose(1, 120), "credit_code": st.one_of(st.just(""), CREDIT_CODE),
                                 "relation": st.sampled_from(relations), "note": prose(0, 300),
                                 "years": st.sampled_from(["", "2018–2023", "2020"])})
    wild_row = st.fixed_dictionaries({"name": wild(120), "credit_code": st.one_of(wild(30), CREDIT_CODE),
                                      "relation": text(), "note": wild(300), "years": wild(40)})
    valid = {"expertise": st.lists(st.sampled_from(sorted(AREAS)), min_size=1, max_size=4, unique=True),
             "available": st.sampled_from(["yes", "no"]), "availability_note": prose(0, 300),
             "affiliations": st.lists(row, max_size=3)}
    wilds = {"expertise": st.lists(st.one_of(st.sampled_from(sorted(AREAS)), text()), max_size=4),
             "available": text(), "availability_note": wild(300),
             "affiliations": st.lists(st.one_of(row, wild_row), max_size=5), "many_rows": st.integers(40, 50),
             "add_row": st.sampled_from(["y", "Add another row"])}

    def state() -> tuple[Any, ...]:
        with app.app_context():
            e = db.session.get(PoolExpert, expert_id)
            return list(e.expertise), list(e.affiliations), e.available, e.availability_note, e.profile_updated_at

    @FUZZ
    @given(data=mutated(valid, wilds))
    def run(data):
        before = state()
        form: list[tuple[str, Any]] = [("expertise", area) for area in data["expertise"]]
        affiliations = data["affiliations"]
        if "many_rows" in data:
            affiliations = [{"name": f"机构{n}", "credit_code": "", "relation": "board", "note": "", "years": ""}
                            for n in range(data["many_rows"])]
        for index, affiliation in enumerate(affiliations):
            form += [(f"affiliations-{index}-{key}", value) for key, value in affiliation.items()]
        form += [(key, data[key]) for key in ("available", "availability_note", "add_row") if key in data]
        form.append(("csrf_token", client.csrf_token()))
        from werkzeug.datastructures import MultiDict

        response = client.post(f"/experts/{expert_id}/profile", data=MultiDict(form))
        assert response.status_code < 500, form
        if response.status_code != 302:
            assert state() == before
            return
        expertise, stored_rows, available, note, _ = state()
        assert expertise and set(expertise) <= set(AREAS) and len(set(expertise)) == len(expertise)
        assert isinstance(available, bool)
        clean_text(note, 300)
        assert len(stored_rows) <= 40
        for stored in stored_rows:
            assert set(stored) == {"name", "credit_code", "relation", "note", "years"}
            clean_text(stored["name"], 120, required=True)
            clean_text(stored["note"], 300)
            clean_text(stored["years"], 40)
            assert stored["relation"] in relations
            assert not stored["credit_code"] or creditcode.is_valid(stored["credit_code"])

    run()


# The organizers' number fields -------------------------------------------------------------------

@pytest.mark.parametrize("word", ["sNaN", "NaN", "-Infinity", "1e309"])
def test_call_form_refuses_numbers_that_are_not_numbers(app, word):
    """A signalling NaN once made the range check raise (a 500); none of these is stored."""
    from tests.web.test_calls import call_form

    make_user(app, "organizer@example.org")
    body = make_body(app, "organizer@example.org")
    client = signed_in(app, "organizer@example.org")
    for field in ("total_budget", "min_fundable_score", "disagreement_threshold", "criteria-0-max_points"):
        response = post(client, f"/bodies/{body}/calls/new", call_form(**{field: word}))
        assert response.status_code == 422, field
    assert count(app, Call) == 0
    response = post(client, f"/bodies/{body}/calls/new", call_form(text_markdown="## 资助\x00方向", themes="长者\x00关爱"))
    assert response.status_code == 302
    with app.app_context():
        call = db.session.scalar(select(Call))
        assert "\x00" not in call.text_markdown and call.themes == ["长者关爱"]


@pytest.mark.parametrize("word", ["sNaN", "NaN", "Infinity", "1e309"])
def test_result_forms_refuse_numbers_that_are_not_numbers(app, word):
    from venture.results.forms import AdjustForm, ComponentForm

    with app.test_request_context(method="POST", data={"value": word, "amount": word}):
        assert not ComponentForm(meta={"csrf": False}).validate()
        assert not AdjustForm(meta={"csrf": False}).validate()
