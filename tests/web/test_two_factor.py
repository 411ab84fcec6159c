"""Two-factor sign-in through real requests: enrolling with a QR code,
confirming, recovery codes, the second step of logging in, replays, rate
limits, switching off, the requirement for organizers and admins, remember-me,
and no secret or code in any log line, mail or audit record."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.builders import make_body
from tests.conftest import PASSWORD, Client, login, make_user, outbox
from tests.web.test_logs import captured  # noqa: F401 - the log-capturing fixture
from venture.accounts import twofactor, twofactor_views
from venture.accounts import twofactor as totp
from venture.accounts.models import RecoveryCode, User
from venture.audit.models import AuditEvent
from venture.extensions import db

CODE_RE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")
SECRET_RE = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')
EN = {"Accept-Language": "en"}


class Clock:
    """The time two-factor checks see; tests move it on by whole steps."""

    def __init__(self) -> None:
        self.now = datetime(2026, 7, 1, 9, 0, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, steps: int = 1) -> None:
        self.now += timedelta(seconds=totp.STEP_SECONDS * steps)

    def code(self, secret: str, offset: int = 0) -> str:
        return totp.code_at(secret, totp.step_at(self.now) + offset)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(twofactor, "utcnow", clock)
    return clock


class TwoFactorClient(Client):
    """Finds its CSRF token on the two-factor page when /about sends it there."""

    def csrf_token(self) -> str:
        for url in ("/about", "/account/two-factor"):
            found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(url).get_data(as_text=True))
            if found:
                return found.group(1)
        raise AssertionError("no CSRF token")


def _client(app) -> Client:
    return TwoFactorClient(app, app.response_class, use_cookies=True)


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge_all()
        return user


def _actions(app, action):
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        db.session.expunge_all()
        return list(events)


def _enrol(app, client, clock) -> tuple[str, list[str]]:
    """Switch two-factor sign-in on for the logged-in client: (secret, recovery codes)."""
    assert client.submit("/account/two-factor", {"action": "start"}).status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1).replace(" ", "")
    response = client.submit("/account/two-factor", {"action": "confirm", "code": clock.code(secret)})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    codes = CODE_RE.findall(response.get_data(as_text=True))
    assert len(codes) == twofactor.RECOVERY_CODES
    clock.tick()
    return secret, codes


def _user_with_2fa(app, clock, email="u@example.org") -> tuple[str, list[str]]:
    make_user(app, email)
    client = _client(app)
    login(client, email)
    return _enrol(app, client, clock)


def _password_step(app, email="u@example.org", remember=False, next_url=None) -> Client:
    client = _client(app)
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    url = "/login" + (f"?next={next_url}" if next_url else "")
    if next_url:
        data["next"] = next_url
    response = client.submit(url, data)
    assert response.status_code == 302 and response.location.endswith("/login/verify"), response.location
    return client


def test_enrol_with_the_qr_code_and_confirm_with_a_code(app, client, clock):
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    assert 'name="action" value="start"' in page.get_data(as_text=True)
    assert 'href="/account/two-factor"' in client.get("/account").get_data(as_text=True), "in the settings navigation"

    assert client.submit("/account/two-factor", {"action": "start"}).status_code == 302
    user = _user(app, "u@example.org")
    assert user.totp_secret and user.totp_enabled_at is None, "stored, not yet confirmed"
    response = client.get("/account/two-factor")
    page = response.get_data(as_text=True)
    shown = SECRET_RE.search(page).group(1)
    assert shown == totp.grouped(user.totp_secret) and all(len(g) == 4 for g in shown.split())
    svg = re.search(r"<svg\b[^>]*>.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and 'aria-label="' in svg and "<path" in svg
    assert "style=" not in svg and "<script" not in svg, "nothing the CSP would block"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]

    wrong = str((int(clock.code(user.totp_secret)) + 1) % 10**6).zfill(6)
    refused = client.submit("/account/two-factor", {"action": "confirm", "code": wrong})
    assert refused.status_code == 422
    assert SECRET_RE.search(refused.get_data(as_text=True)), "the QR code and key stay on the page"
    assert _user(app, "u@example.org").totp_enabled_at is None

    accepted = client.submit("/account/two-factor", {"action": "confirm", "code": clock.code(user.totp_secret)})
    assert accepted.status_code == 200
    codes = CODE_RE.findall(accepted.get_data(as_text=True))
    assert len(set(codes)) == 10
    user = _user(app, "u@example.org")
    assert user.totp_enabled_at is not None and user.totp_last_step == totp.step_at(clock.now)

    again = client.get("/account/two-factor").get_data(as_text=True)
    assert not CODE_RE.search(again) and not SECRET_RE.search(again), "codes and key are shown once"
    assert "<svg" not in again
    with app.app_context():
        digests = db.session.scalars(select(RecoveryCode.code_digest).where(RecoveryCode.user_id == user.id)).all()
    assert len(digests) == 10 and not set(codes) & set(digests), "only digests are stored"
    assert len(_actions(app, "account.2fa_enabled")) == 1
    assert len(outbox(app, "u@example.org")) == 1, "the owner is told"


def test_log_in_asks_for_the_code_and_refuses_a_replay(app, clock):
    secret, _codes = _user_with_2fa(app, clock)
    client = _password_step(app, next_url="/groups/")
    assert client.get("/account").status_code == 302, "not logged in between password and code"
    with client.session_transaction() as session:
        assert "_user_id" not in session
    page = client.get("/login/verify")
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.get_data(as_text=True)

    assert client.submit("/login/verify", {"code": "000000" if clock.code(secret) != "000000"
                                           else "111111"}).status_code == 422
    code = clock.code(secret)
    response = client.submit("/login/verify", {"code": code})
    assert response.status_code == 302 and response.location.endswith("/groups/"), "next is kept"
    assert client.get("/account").status_code == 200

    replay = _password_step(app)
    assert replay.submit("/login/verify", {"code": code}).status_code == 422, "the same step twice"
    assert replay.get("/account").status_code == 302
    clock.tick()
    assert replay.submit("/login/verify", {"code": clock.code(secret)}).status_code == 302
    assert replay.get("/account").status_code == 200

    elsewhere = _password_step(app, next_url="https://evil.example/")
    clock.tick()
    response = elsewhere.submit("/login/verify", {"code": clock.code(secret)})
    assert response.status_code == 302 and response.location == "/"


def test_the_verify_page_needs_a_fresh_password_step(app, client, clock, monkeypatch):
    assert client.get("/login/verify").location.endswith("/login")
    assert client.submit("/login/verify", {"code": "123456"}).location.endswith("/login")
    with client.session_transaction() as session:
        session["second_factor"] = "forged"
    assert client.submit("/login/verify", {"code": "123456"}).location.endswith("/login")

    secret, _codes = _user_with_2fa(app, clock)
    late = _password_step(app)
    monkeypatch.setattr(twofactor_views, "PENDING_SECONDS", -1)
    response = late.submit("/login/verify", {"code": clock.code(secret)})
    assert response.status_code == 302 and response.location.endswith("/login")
    assert late.get("/account").status_code == 302


def test_a_recovery_code_works_once(app, clock):
    _secret, codes = _user_with_2fa(app, clock)
    first = _password_step(app)
    response = first.submit("/login/verify", {"code": codes[0]}, headers=EN)
    assert response.status_code == 302
    assert "Recovery codes left: 9" in first.get("/", headers=EN).get_data(as_text=True)
    [used] = _actions(app, "account.recovery_code_used")
    assert used.data == {"codes_left": 9}

    second = _password_step(app)
    assert second.submit("/login/verify", {"code": codes[0]}).status_code == 422
    spaced = " ".join(codes[1].upper().replace("-", "")[i:i + 5] for i in (0, 5))
    assert second.submit("/login/verify", {"code": spaced}).status_code == 302
    assert second.get("/account").status_code == 200


def test_wrong_codes_are_rate_limited(app, clock):
    secret, _codes = _user_with_2fa(app, clock)
    client = _password_step(app)
    wrong = str((int(clock.code(secret)) + 1) % 10**6).zfill(6)
    for _ in range(app.config["LOGIN_LIMIT_PER_ACCOUNT"]):
        assert client.submit("/login/verify", {"code": wrong}).status_code == 422
    refused = client.submit("/login/verify", {"code": clock.code(secret)})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert client.get("/account").status_code == 302
    # Counted per account: another browser with the password is refused too.
    other = _password_step(app)
    assert other.submit("/login/verify", {"code": clock.code(secret)}).status_code == 429


def test_switching_off_needs_the_password_and_a_code(app, client, clock):
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    secret, codes = _enrol(app, client, clock)
    page = client.get("/account/two-factor", headers=EN).get_data(as_text=True)
    assert "Recovery codes left" in page

    bad_password = client.submit("/account/two-factor", {"action": "disable", "password": "not my password",
                                                          "code": clock.code(secret)})
    assert bad_password.status_code == 422
    no_code = client.submit("/account/two-factor", {"action": "disable", "password": PASSWORD, "code": "000001"})
    assert no_code.status_code == 422
    missing = client.submit("/account/two-factor", {"action": "disable", "password": PASSWORD})
    assert missing.status_code == 422
    assert _user(app, "u@example.org").totp_enabled_at is not None

    response = client.submit("/account/two-factor", {"action": "disable", "password": PASSWORD,
                                                     "code": clock.code(secret)})
    assert response.status_code == 302
    user = _user(app, "u@example.org")
    assert user.totp_enabled_at is None and user.totp_secret is None
    with app.app_context():
        assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    [event] = _actions(app, "account.2fa_disabled")
    assert event.data == {"confirmed_with": "totp"}
    assert len(outbox(app, "u@example.org")) == 2, "a notice when switched on, another when off"
    fresh = _client(app)
    assert login(fresh, "u@example.org").location == "/", "the password alone is enough again"

    # With a recovery code instead of the app.
    _secret, codes = _enrol(app, client, clock)
    assert client.submit("/account/two-factor", {"action": "disable", "password": PASSWORD,
                                                 "code": codes[3]}).status_code == 302


def test_new_recovery_codes_need_a_code_and_replace_the_old(app, client, clock):
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    secret, old = _enrol(app, client, clock)
    refused = client.submit("/account/two-factor", {"action": "regenerate", "regenerate_code": old[0]})
    assert refused.status_code == 422, "an authenticator code, not a recovery code"
    response = client.submit("/account/two-factor", {"action": "regenerate",
                                                     "regenerate_code": clock.code(secret)})
    assert response.status_code == 200
    new = CODE_RE.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert len(_actions(app, "account.recovery_codes_regenerated")) == 1

    attempt = _password_step(app)
    assert attempt.submit("/login/verify", {"code": old[1]}).status_code == 422
    assert attempt.submit("/login/verify", {"code": new[1]}).status_code == 302


def test_staff_must_set_it_up_when_the_site_requires_it(app, clock):
    app.config["REQUIRE_2FA_FOR_STAFF"] = True
    for email in ("organizer@example.org", "admin@example.org", "resident@example.org"):
        make_user(app, email, admin=email.startswith("admin"))
    body = make_body(app, "organizer@example.org")

    resident = _client(app)
    login(resident, "resident@example.org")
    for url in ("/", "/account", "/groups/", "/about"):
        assert resident.get(url).status_code == 200, url

    for email in ("organizer@example.org", "admin@example.org"):
        staff = _client(app)
        login(staff, email)
        for url in ("/", "/about", "/account", "/account/password", "/calls/", f"/bodies/{body}/edit",
                    "/groups/", "/search?q=x"):
            response = staff.get(url)
            assert response.status_code == 302 and response.location.endswith("/account/two-factor"), url
        page = staff.get("/account/two-factor", headers=EN)
        assert page.status_code == 200 and "requires two-factor sign-in" in page.get_data(as_text=True)
        response = staff.submit("/groups/new", {"name": "x"})
        assert response.status_code == 302 and response.location.endswith("/account/two-factor")
        assert staff.get("/static/css/venture.css").status_code == 200
        response = staff.submit("/language", {"lang": "en", "next": "/account"})
        assert response.status_code == 302 and response.location == "/account"

        _enrol(app, staff, clock)
        assert staff.get("/").status_code == 200
        assert staff.get(f"/bodies/{body}/edit").status_code == 200
        assert staff.submit("/logout").status_code == 302

    # Logging in again takes the code, then every page opens.
    secret = _user(app, "organizer@example.org").totp_secret
    again = _password_step(app, email="organizer@example.org")
    assert again.get("/").status_code == 200, "not logged in yet, so not redirected either"
    assert again.submit("/login/verify", {"code": clock.code(secret)}).status_code == 302
    assert again.get(f"/bodies/{body}/edit").status_code == 200


def test_staff_are_not_held_back_when_the_site_does_not_require_it(app):
    make_user(app, "organizer@example.org")
    make_body(app, "organizer@example.org")
    client = _client(app)
    login(client, "organizer@example.org")
    assert client.get("/").status_code == 200


def test_production_settings_require_it_by_default(monkeypatch):
    import runpy
    from pathlib import Path

    import venture

    monkeypatch.delenv("REQUIRE_2FA_FOR_STAFF", raising=False)
    monkeypatch.setenv("VENTURE_ENV", "production")
    assert runpy.run_path(str(Path(venture.ROOT) / "config.py"))["REQUIRE_2FA_FOR_STAFF"] is True
    monkeypatch.setenv("VENTURE_ENV", "development")
    assert runpy.run_path(str(Path(venture.ROOT) / "config.py"))["REQUIRE_2FA_FOR_STAFF"] is False
    monkeypatch.setenv("REQUIRE_2FA_FOR_STAFF", "1")
    assert runpy.run_path(str(Path(venture.ROOT) / "config.py"))["REQUIRE_2FA_FOR_STAFF"] is True


def test_remember_me_cannot_skip_the_second_factor(app, clock):
    make_user(app, "u@example.org")
    before = _client(app)
    login(before, "u@example.org", remember=True)
    old_cookie = before.get_cookie("remember_token").value

    client = _client(app)
    login(client, "u@example.org")
    secret, _codes = _enrol(app, client, clock)
    replay = _client(app)
    replay.set_cookie("remember_token", old_cookie)
    assert replay.get("/account").status_code == 302, "a sign-in made with the password alone ended"

    halfway = _password_step(app, remember=True)
    assert halfway.get_cookie("remember_token") is None, "no remember-me cookie before the code"
    assert halfway.get("/account").status_code == 302
    assert halfway.submit("/login/verify", {"code": clock.code(secret)}).status_code == 302
    cookie = halfway.get_cookie("remember_token")
    assert cookie is not None
    fresh = _client(app)
    fresh.set_cookie("remember_token", cookie.value)
    assert fresh.get("/account").status_code == 200, "it carries the sign-in made after the code"


def test_no_secret_or_code_in_logs_mail_or_audit(app, client, clock, captured):  # noqa: F811
    make_user(app, "u@example.org")
    login(client, "u@example.org")
    secret, codes = _enrol(app, client, clock)
    used = []
    attempt = _password_step(app)
    wrong = str((int(clock.code(secret)) + 7) % 10**6).zfill(6)
    attempt.submit("/login/verify", {"code": wrong})
    used.append(clock.code(secret))
    attempt.submit("/login/verify", {"code": used[-1]})
    other = _password_step(app)
    other.submit("/login/verify", {"code": codes[0]})
    clock.tick()
    used.append(clock.code(secret))
    client.submit("/account/two-factor", {"action": "regenerate", "regenerate_code": used[-1]})

    output = captured.getvalue()
    assert output, "nothing was logged"
    with app.app_context():
        audit = " ".join(str(e.data) for e in db.session.scalars(select(AuditEvent)))
    mails = " ".join(m.subject + m.body_text for m in outbox(app))
    for where, text in (("logs", output), ("audit", audit), ("mail", mails)):
        for secret_form in (secret, totp.grouped(secret), secret.lower()):
            assert secret_form not in text, f"the secret is in the {where}"
        for code in codes:
            assert code not in text and code.replace("-", "") not in text, f"a recovery code is in the {where}"
        for code in [*used, wrong]:
            assert not re.search(rf"(?<![\w.]){code}(?!\w)", text), f"a one-time code is in the {where}"


def test_logging_in_as_someone_else_ends_the_sign_in_already_on_this_browser(app, clock):
    make_user(app, "a@example.org")
    secret, _codes = _user_with_2fa(app, clock, email="b@example.org")
    browser = _client(app)
    login(browser, "a@example.org", remember=True)
    assert browser.get("/account").status_code == 200
    response = browser.submit("/login", {"email": "b@example.org", "password": PASSWORD})
    assert response.location.endswith("/login/verify")
    assert browser.get_cookie("remember_token") is None, "a's remember-me cookie is gone"
    assert browser.get("/account").status_code == 302, "neither a nor (yet) b is logged in"
    assert browser.submit("/login/verify", {"code": clock.code(secret)}).status_code == 302
    assert "b@example.org" in browser.get("/account").get_data(as_text=True)


def test_the_operator_can_switch_it_off_for_someone_locked_out(app, clock):
    _user_with_2fa(app, clock)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["admin", "reset-2fa", "u@example.org"])
    assert result.exit_code == 0, result.output
    user = _user(app, "u@example.org")
    assert user.totp_enabled_at is None and user.totp_secret is None
    [event] = _actions(app, "account.2fa_disabled")
    assert event.actor_id is None and event.data == {"confirmed_with": "operator"}
    assert len(outbox(app, "u@example.org")) == 2
    assert login(_client(app), "u@example.org").location == "/"
    again = runner.invoke(args=["admin", "reset-2fa", "u@example.org"])
    assert again.exit_code != 0 and "No account" in again.output
