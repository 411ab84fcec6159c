"""Structured logs: one JSON object per line, every request line with the
request id the response carried, and no password, e-mail address, token,
phone number or name in any line."""
from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from flask import current_app

from tests.conftest import PASSWORD, link_in, login, make_user, outbox
from venture import logs

NAME = "Secret Display Name"
REGISTER_PASSWORD = "register unique phrase 8812"
WRONG_PASSWORD = "wrong unique phrase 7731"
NEW_PASSWORD = "reset unique phrase 5519"
PHONE = "13900139004"
QUERY_TOKEN = "Zq8sP2kR9wT4vX7yB1nM3cL6"
EMAIL = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+\.[\w.-]+")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logs.handler()
    handler.setStream(buffer)
    yield buffer
    handler.setStream(None)  # back to standard error


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_request_lines_carry_the_request_id_and_no_personal_data(app, client, captured):
    user_id = make_user(app, "known@example.org", name=NAME)
    answers = []

    def seen(response):
        answers.append((response.headers["X-Request-Id"], response.status_code))
        return response

    seen(client.submit("/register", {"display_name": "Zhang Mingming", "email": "newbie@example.org",
                                     "password": REGISTER_PASSWORD, "password_again": REGISTER_PASSWORD}))
    assert seen(client.submit("/login", {"email": "known@example.org",
                                         "password": WRONG_PASSWORD})).status_code == 422
    assert seen(login(client, "known@example.org")).status_code == 302
    seen(client.get("/account"))
    seen(client.get(f"/search?q={PHONE}&email=someone%40example.org&token={QUERY_TOKEN}"))
    seen(client.get(f"/about?next=/account&token={QUERY_TOKEN}&email=someone@example.org"))

    anonymous = app.test_client_class(app, app.response_class, use_cookies=True)
    seen(anonymous.submit(f"/password/forgot?email=known%40example.org&token={QUERY_TOKEN}",
                          {"email": "known@example.org"}))
    [mail] = outbox(app, "known@example.org")
    link = link_in(mail, "/password/reset/")
    reset_token = link.rsplit("/", 1)[-1]
    assert seen(anonymous.get(link)).status_code == 200
    assert seen(anonymous.submit(link, {"password": NEW_PASSWORD,
                                        "password_again": NEW_PASSWORD})).status_code == 302

    # Application code that logs carelessly is scrubbed too, exceptions included.
    with app.test_request_context("/groups/new?contact=x"):
        app.preprocess_request()  # what a request does first: it gets its id
        current_app.logger.warning("contact %s at %s, password=%s token: %s name %s",
                                   "someone@example.org", "139 0013 9004", REGISTER_PASSWORD, reset_token, "-")
        try:
            raise ValueError(f"duplicate key (email)=(known@example.org) phone +86 {PHONE}")
        except ValueError:
            current_app.logger.exception("could not save %r", {"password": NEW_PASSWORD, "email": "a@b.cn"})

    output = captured.getvalue()
    lines = _lines(captured)
    assert lines, "nothing was logged"
    for forbidden in (REGISTER_PASSWORD, WRONG_PASSWORD, NEW_PASSWORD, PASSWORD, reset_token, QUERY_TOKEN,
                      PHONE, "139 0013 9004", NAME, "Zhang Mingming", "token=", "?q=", "?next="):
        assert forbidden not in output, f"{forbidden!r} was logged"
    assert not EMAIL.search(output), EMAIL.search(output)

    requests = [line for line in lines if line["logger"] == logs.REQUEST_LOGGER]
    for line in requests:
        assert line["request_id"] and line["method"] and line["path"].startswith("/")
        assert "?" not in line["path"] and isinstance(line["duration_ms"], float)
        assert set(line) <= {"time", "level", "logger", "message", *logs.FIELDS}
    by_id = {line["request_id"]: line for line in requests}
    for request_id, status in answers:
        assert by_id[request_id]["status"] == status, request_id
    assert by_id[answers[3][0]]["user_id"] == user_id and by_id[answers[3][0]]["path"] == "/account"
    assert "[token]" in by_id[answers[-1][0]]["path"], "the reset token in the path is hidden"

    [careless] = [line for line in lines if line["message"].startswith("contact ")]
    assert careless["request_id"], "lines written during a request carry its id"
    [failure] = [line for line in lines if line["message"].startswith("could not save")]
    assert "duplicate key" in failure["exception"] and "[email]" in failure["exception"]


@pytest.mark.parametrize("text, kept", [
    ("proposal 12 submitted as 2026-MLV-0003 at 2026-07-01T10:00:00", True),
    ("request 5f0c2d1e9a8b4c3d2e1f0a9b8c7d6e5f fingerprint " + "ab" * 32, True),
    ("LOGIN_LIMIT_PER_ADDRESS reached after 1500 ms", True),
])
def test_scrub_keeps_what_is_not_personal(text, kept):
    assert (logs.scrub(text) == text) is kept


@pytest.mark.parametrize("text, secret", [
    ("mail to 张三@example.org failed", "张三@example.org"),
    ("GET /x?email=a%40b.org", "a%40b.org"),
    ("call 020-81234567 or +44 20 7946 0958", "81234567"),
    ("call +44 20 7946 0958", "7946 0958"),
    ("{'password': 'hunter2 is here'}", "hunter2"),
    ('"api_key": "k-123"', "k-123"),
    ("Authorization: Bearer abc.def.ghi", "abc.def"),
    ("session cookie eyJfZnJlc2giOmZhbHNlfQ.ZmXyAb.c2lnbmF0dXJlX2hlcmU", "eyJfZnJlc2giOmZhbHNlfQ"),
])
def test_scrub_removes_personal_data_and_secrets(text, secret):
    assert secret not in logs.scrub(text)


def test_a_record_is_scrubbed_for_every_handler_after_ours(captured):
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    keep = Keep()
    root = logging.getLogger()
    root.addHandler(keep)
    try:
        logging.getLogger("venture.test").warning("user %s", "someone@example.org")
    finally:
        root.removeHandler(keep)
    assert seen and seen[0].getMessage() == "user [email]"
    assert json.loads(captured.getvalue().splitlines()[-1])["message"] == "user [email]"
