"""Accounts against someone trying to break in or lock others out: links
bound to the account's state, the same work for known and unknown addresses,
lock-outs that stop the guesser and not the owner, and only failures counted."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, Client, link_in, login, make_user, outbox
from venture.accounts import attempts, passwords
from venture.accounts import services as accounts
from venture.accounts.models import User
from venture.core import tokens
from venture.core.timeutil import utcnow
from venture.extensions import db
from venture.mail import services as mail

NEW_PASSWORD = "purple elephant dances"
EN = {"Accept-Language": "en"}
OWNER_ADDRESS = "198.51.100.7"
ATTACKER_ADDRESS = "203.0.113.66"


def _client(app, address: str = OWNER_ADDRESS) -> Client:
    client = Client(app, app.response_class, use_cookies=True)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(client, email, password=PASSWORD):
    return client.submit("/login", {"email": email, "password": password}, headers=EN)


def _main(response) -> str:
    page = response.get_data(as_text=True)
    return re.search(r"<main.*?</main>", page, re.S).group(0)


# Links bound to the state they were issued for ------------------------------------------------

def _reset_link(app, client, email):
    assert client.submit("/password/forgot", {"email": email}).status_code == 200
    return link_in(outbox(app, email)[-1], "/password/reset/")


def test_a_reset_link_stops_working_once_the_password_is_changed(app):
    make_user(app, "u@example.org")
    owner = _client(app)
    link = _reset_link(app, owner, "u@example.org")
    assert owner.get(link).status_code == 200
    login(owner, "u@example.org")
    changed = owner.submit("/account/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                 "password_again": NEW_PASSWORD})
    assert changed.status_code == 302
    assert _client(app).get(link).status_code == 404
    assert _client(app).submit(link, {"password": "another new phrase",
                                      "password_again": "another new phrase"}).status_code == 404


def test_a_reset_link_stops_working_once_the_address_is_changed(app):
    make_user(app, "old@example.org")
    owner = _client(app)
    link = _reset_link(app, owner, "old@example.org")  # lies in the old mailbox
    login(owner, "old@example.org")
    owner.submit("/account/email", {"new_email": "new@example.org", "password": PASSWORD})
    assert owner.submit(link_in(outbox(app, "new@example.org")[-1], "/account/email/confirm/")).status_code == 302
    assert _client(app).get(link).status_code == 404


def test_verify_and_change_links_stop_working_once_the_account_changes(app):
    make_user(app, "u@example.org", verified=False)
    owner = _client(app)
    login(owner, "u@example.org")
    owner.submit("/verify/resend")
    verify = link_in(outbox(app, "u@example.org")[-1], "/verify/")
    owner.submit("/account/email", {"new_email": "second@example.org", "password": PASSWORD})
    change = link_in(outbox(app, "second@example.org")[-1], "/account/email/confirm/")
    owner.submit("/account/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                       "password_again": NEW_PASSWORD})
    assert owner.get(verify).status_code == 404, "verified an address the account no longer has a say for"
    assert owner.get(change).status_code == 404
    assert owner.submit(change).status_code == 409
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "u@example.org"


# The same work for known and unknown addresses -------------------------------------------------

class Calls:
    def __init__(self, monkeypatch) -> None:
        self.counts: dict[str, int] = {}
        for module, name in ((passwords, "hash_password"), (passwords, "check_password"), (mail, "queue"),
                             (accounts, "find_by_email"), (accounts, "new_token"), (tokens, "new_token")):
            self._spy(monkeypatch, module, name)

    def _spy(self, monkeypatch, module, name) -> None:
        real = getattr(module, name)
        key = f"{module.__name__}.{name}"

        def spy(*args, **kwargs):
            self.counts[key] = self.counts.get(key, 0) + 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)

    def during(self, action) -> dict[str, int]:
        self.counts = {}
        action()
        return dict(self.counts)


def test_registration_does_the_same_expensive_work_for_a_taken_and_a_free_address(app, monkeypatch):
    make_user(app, "taken@example.org")
    calls = Calls(monkeypatch)
    client = _client(app)

    def register(email):
        return lambda: client.submit("/register", {"display_name": "Xiao Ming", "email": email,
                                                   "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})

    taken = calls.during(register("taken@example.org"))
    free = calls.during(register("free@example.org"))
    assert taken["venture.accounts.passwords.hash_password"] == free["venture.accounts.passwords.hash_password"] == 1
    assert taken["venture.mail.services.queue"] == free["venture.mail.services.queue"] == 1


def test_a_reset_does_the_same_work_for_a_known_and_an_unknown_address(app, monkeypatch):
    make_user(app, "known@example.org")
    calls = Calls(monkeypatch)
    client = _client(app)
    known = calls.during(lambda: client.submit("/password/forgot", {"email": "known@example.org"}))
    unknown = calls.during(lambda: client.submit("/password/forgot", {"email": "unknown@example.org"}))
    assert known == unknown
    assert known["venture.mail.services.queue"] == 1
    assert known["venture.accounts.services.find_by_email"] == 1


def test_a_wrong_password_and_an_unknown_address_do_the_same_work(app, monkeypatch):
    make_user(app, "known@example.org")
    calls = Calls(monkeypatch)
    client = _client(app)
    known = calls.during(lambda: _login(client, "known@example.org", "wrong password!"))
    unknown = calls.during(lambda: _login(client, "unknown@example.org", "wrong password!"))
    assert known == unknown and known["venture.accounts.passwords.check_password"] == 1


@pytest.mark.parametrize("app_config", [{"RESET_MAILS_PER_ADDRESS": 2}])
def test_nobody_floods_a_mailbox_with_reset_or_registration_mail(app):
    make_user(app, "victim@example.org")
    for index in range(4):
        asker = _client(app, f"192.0.2.{index + 1}")
        assert asker.submit("/password/forgot", {"email": "victim@example.org"}).status_code == 200
        assert asker.submit("/password/forgot", {"email": "nobody@example.org"}).status_code == 200
        asker.submit("/register", {"display_name": "X", "email": "victim@example.org",
                                   "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert len(outbox(app, "victim@example.org")) == 4  # two reset links, two "already registered" notes
    assert len(outbox(app, "nobody@example.org")) == 2


# Lock-outs that stop the guesser, not the owner ------------------------------------------------

@pytest.mark.parametrize("app_config", [{"LOGIN_LIMIT_PER_ACCOUNT": 3, "LOGIN_LIMIT_PER_ADDRESS": 50}])
def test_a_guesser_locks_only_their_own_address_out_of_the_account(app):
    make_user(app, "target@example.org")
    attacker = _client(app, ATTACKER_ADDRESS)
    for _ in range(3):
        assert _login(attacker, "target@example.org", "guess guess").status_code == 422
    assert _login(attacker, "target@example.org").status_code == 429, "refused even with the right password"
    owner = _client(app, OWNER_ADDRESS)
    assert _login(owner, "target@example.org").status_code == 302, "the owner elsewhere still logs in"


@pytest.mark.parametrize("app_config", [{"LOGIN_LIMIT_PER_ACCOUNT": 50, "LOGIN_LIMIT_PER_ADDRESS": 3}])
def test_an_office_behind_one_address_is_not_locked_out_by_signing_in(app):
    for index in range(8):
        make_user(app, f"staff{index}@example.org")
    office = [_client(app, "192.0.2.10") for _ in range(8)]
    for index, client in enumerate(office):
        assert _login(client, f"staff{index}@example.org").status_code == 302
        assert _login(client, f"staff{index}@example.org").status_code == 302, "twice, still counted as nothing"
    # Failures still count.
    for _ in range(3):
        assert _login(_client(app, "192.0.2.10"), "nobody@example.org", "guess guess").status_code == 422
    assert _login(_client(app, "192.0.2.10"), "staff0@example.org").status_code == 429


@pytest.mark.parametrize("app_config", [{"LOGIN_LIMIT_PER_ACCOUNT": 50, "LOGIN_LIMIT_PER_ADDRESS": 3}])
def test_a_trusted_browser_logs_in_from_an_address_a_guesser_has_burnt(app):
    make_user(app, "owner@example.org")
    make_user(app, "colleague@example.org")
    owner = _client(app, "192.0.2.10")
    assert _login(owner, "owner@example.org").status_code == 302
    assert attempts.DEVICE_COOKIE in owner.get_cookie(attempts.DEVICE_COOKIE).key
    owner.submit("/logout")
    for index in range(3):
        _login(_client(app, "192.0.2.10"), f"spray{index}@example.org", "guess guess")
    assert _login(_client(app, "192.0.2.10"), "colleague@example.org").status_code == 429
    assert _login(owner, "owner@example.org").status_code == 302, "the device cookie vouches for the owner"
    # The cookie vouches for its account only.
    assert _login(owner, "colleague@example.org").status_code == 429


@pytest.mark.parametrize("app_config", [{"LOGIN_LIMIT_PER_ACCOUNT": 50, "LOGIN_LIMIT_PER_ADDRESS": 50}])
def test_a_trusted_browser_has_its_own_limit(app):
    make_user(app, "owner@example.org")
    browser = _client(app)
    assert _login(browser, "owner@example.org").status_code == 302
    browser.submit("/logout")
    limit = app.config["LOGIN_LIMIT_PER_ACCOUNT"] = 3
    for _ in range(limit):
        assert _login(browser, "owner@example.org", "guess guess").status_code == 422
    assert _login(browser, "owner@example.org").status_code == 429


@pytest.mark.parametrize("app_config", [{"LOGIN_LIMIT_PER_ACCOUNT": 2, "LOGIN_LIMIT_PER_ADDRESS": 50,
                                         "LOGIN_LIMIT_ACCOUNT_TOTAL": 4}])
def test_guessing_from_many_addresses_makes_new_devices_confirm_by_mail(app):
    make_user(app, "target@example.org")
    home = _client(app, OWNER_ADDRESS)
    assert _login(home, "target@example.org").status_code == 302  # the owner's browser, trusted from now on
    home.submit("/logout")
    for index in range(4):
        assert _login(_client(app, f"203.0.113.{index + 1}"), "target@example.org", "guess guess").status_code == 422

    # From a new device the right and a wrong password get the same page; only the right one sends a link.
    wrong = _login(_client(app, "203.0.113.200"), "target@example.org", "guess guess")
    right_device = _client(app, "198.51.100.99")
    right = _login(right_device, "target@example.org")
    assert wrong.status_code == right.status_code == 200
    strip = re.compile(r'name="csrf_token"[^>]*value="[^"]+"')
    assert strip.sub("", _main(wrong)) == strip.sub("", _main(right))
    assert "confirmation by e-mail" in _main(right)
    assert right_device.get("/account").status_code == 302, "not logged in yet"
    [link_mail] = [m for m in outbox(app, "target@example.org") if "/login/confirm/" in m.body_text]
    link = link_in(link_mail, "/login/confirm/")
    assert right_device.get(link).status_code == 200
    assert right_device.submit(link).status_code == 302
    assert right_device.get("/account").status_code == 200
    assert right_device.submit(link).status_code == 400, "single use"
    # That device is trusted now, and the owner's own browser was all along.
    right_device.submit("/logout")
    assert _login(right_device, "target@example.org").status_code == 302
    assert _login(home, "target@example.org").status_code == 302
    # An unknown address under the same attack gets the same page: no existence oracle.
    for index in range(4):
        _login(_client(app, f"203.0.113.{index + 1}"), "ghost@example.org", "guess guess")
    ghost = _login(_client(app, "203.0.113.201"), "ghost@example.org", "guess guess")
    assert ghost.status_code == 200 and strip.sub("", _main(ghost)) == strip.sub("", _main(wrong))


@pytest.mark.parametrize("app_config", [{"LOGIN_LIMIT_PER_ACCOUNT": 2, "LOGIN_LIMIT_PER_ADDRESS": 50,
                                         "LOGIN_LIMIT_ACCOUNT_TOTAL": 2}])
def test_resetting_the_password_by_mail_ends_the_mail_check(app):
    make_user(app, "target@example.org")
    for index in range(2):
        _login(_client(app, f"203.0.113.{index + 1}"), "target@example.org", "guess guess")
    device = _client(app)
    assert _login(device, "target@example.org").status_code == 200  # asked to confirm by mail
    link = _reset_link(app, device, "target@example.org")
    assert device.submit(link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}).status_code == 302
    assert _login(device, "target@example.org", NEW_PASSWORD).status_code == 302


def test_a_device_cookie_vouches_only_for_the_password_it_was_earned_with(app):
    user_id = make_user(app, "u@example.org")
    with app.test_request_context("/"):
        user = db.session.get(User, user_id)
        state = accounts.account_state(user)
        cookie = attempts.device_cookie(None, user.id, state)
        assert attempts.trusted_device(cookie, user.id, state)
        assert attempts.trusted_device(cookie, user.id + 1, state) is None
        assert attempts.trusted_device(cookie + "x", user.id, state) is None, "forged"
        user.password_hash = passwords.hash_password(NEW_PASSWORD)
        assert attempts.trusted_device(cookie, user.id, accounts.account_state(user)) is None
        # One browser remembers a few accounts.
        for other in range(2, 10):
            cookie = attempts.device_cookie(cookie, other, state)
        assert all(attempts.trusted_device(cookie, kept, state) for kept in (5, 6, 7, 8, 9))
        assert attempts.trusted_device(cookie, 4, state) is None


# The second step counts only wrong codes too -----------------------------------------------------

def _totp_now(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return str((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**6).zfill(6)


@pytest.mark.parametrize("app_config", [{"LOGIN_LIMIT_PER_ADDRESS": 2}])
def test_right_second_factor_codes_do_not_count_against_the_address(app):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    for index in range(4):
        user_id = make_user(app, f"staff{index}@example.org")
        with app.app_context():
            user = db.session.get(User, user_id)
            user.totp_secret, user.totp_enabled_at = secret, utcnow()
            db.session.commit()
    for index in range(4):
        client = _client(app, "192.0.2.10")
        assert _login(client, f"staff{index}@example.org").location.endswith("/login/verify")
        assert client.submit("/login/verify", {"code": _totp_now(secret)}).status_code == 302
