"""How sign-in attempts are limited without letting anyone lock the owner out.

Only failures count, in four places (each in ``LOGIN_WINDOW`` seconds):

- per network address, ``LOGIN_LIMIT_PER_ADDRESS`` failures on any accounts
  (a password spray from one place);
- per account from one address, ``LOGIN_LIMIT_PER_ACCOUNT`` failures (a guesser
  at one account). Past either limit that address is refused, even with the
  right password: the guesser, not the owner, sits there;
- per account from everywhere, ``LOGIN_LIMIT_ACCOUNT_TOTAL`` failures (a guesser
  with many addresses). Past it the right password alone no longer signs in
  from a new device: a link mailed to the account's address must confirm it
  (and the page says the same for a right and a wrong password, so it does not
  tell the guesser when a guess was right);
- per trusted device, ``LOGIN_LIMIT_PER_ACCOUNT`` failures. A browser that
  signed in to the account before carries a signed device cookie for it
  (OWASP's "device cookies"); it is exempt from the three limits above, so the
  owner at home or in an office whose address a guesser has burnt still signs
  in. The cookie names the account and the password it was earned with: it
  stops counting once the password changes.

An attempt is counted before the password is checked and refunded when it
succeeds, so a burst of parallel guesses cannot all pass one check.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from venture.core.ratelimit import TooManyAttempts, limiter

DEVICE_COOKIE = "device"
DEVICE_DAYS = 365
DEVICES_PER_BROWSER = 5  # accounts one browser is trusted for


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="venture.device")


def device_cookie(existing: str | None, user_id: int, state: str) -> str:
    """The device cookie after a successful sign-in: trusted for this account
    (as of its current password), keeping up to four other accounts."""
    devices = {key: value for key, value in _devices(existing).items() if key != str(user_id)}
    kept = list(devices.items())[-(DEVICES_PER_BROWSER - 1):]
    return _serializer().dumps({**dict(kept), str(user_id): [state[:32], secrets.token_urlsafe(12)]})


def _devices(cookie: str | None) -> dict[str, list[str]]:
    if not cookie or len(cookie) > 4000:
        return {}
    try:
        data = _serializer().loads(cookie, max_age=DEVICE_DAYS * 86400)
    except BadSignature:  # includes SignatureExpired
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items()
            if isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)}


def trusted_device(cookie: str | None, user_id: int | None, state: str | None) -> str | None:
    """The device's id when the cookie vouches for this account as it is now."""
    if user_id is None or state is None:
        return None
    entry = _devices(cookie).get(str(user_id))
    if entry is None or not hmac.compare_digest(entry[0], state[:32]):
        return None
    return entry[1]


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt, counted before the password is checked."""

    counted: tuple[str, ...]
    account_key: str
    needs_mail_check: bool

    def succeeded(self) -> None:
        for key in self.counted:
            limiter().refund(key)

    def failed(self) -> None:
        config = current_app.config
        limiter().hit(self.account_key, config["LOGIN_LIMIT_ACCOUNT_TOTAL"], config["LOGIN_WINDOW"])


def begin(email: str, address: str, device: str | None) -> Attempt:
    """Count the attempt where it is limited, or raise ``TooManyAttempts``.
    ``device`` is the id from ``trusted_device`` (None for a new device)."""
    config = current_app.config
    window = config["LOGIN_WINDOW"]
    rl = limiter()
    account_key = f"login:acct:{email}"
    if device is not None:
        gates: list[tuple[str, int]] = [(f"login:device:{device}", config["LOGIN_LIMIT_PER_ACCOUNT"])]
    else:
        gates = [(f"login:addr:{address}", config["LOGIN_LIMIT_PER_ADDRESS"]),
                 (f"login:acct-addr:{email}:{address}", config["LOGIN_LIMIT_PER_ACCOUNT"])]
    counted: list[str] = []
    for key, limit in gates:
        verdict = rl.hit(key, limit, window)
        counted.append(key)
        if not verdict.allowed:
            raise TooManyAttempts(verdict.retry_after)
    under_attack = device is None and not rl.check(account_key, config["LOGIN_LIMIT_ACCOUNT_TOTAL"]).allowed
    return Attempt(counted=tuple(counted), account_key=account_key, needs_mail_check=under_attack)
