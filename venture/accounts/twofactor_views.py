"""Two-factor sign-in pages, on the accounts blueprint: the second step of
logging in, the account's two-factor page, and the rule that organizers and
site admins set it up first when the site requires it.

Between the password and the code nobody is logged in: the session holds
only a signed marker (user id, remember-me choice, where to go next) that
expires after five minutes.
"""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from venture.accounts import forms, services, twofactor
from venture.accounts.models import User
from venture.accounts.views import _invalid, bp, finish_login
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.ratelimit import TooManyAttempts, limiter
from venture.extensions import db
from venture.web import client_address, form_error, safe_next

PENDING_KEY = "second_factor"
PENDING_SECONDS = 5 * 60

# Pages an organizer or admin without two-factor sign-in may still open when it is required.
OPEN_WHILE_REQUIRED = frozenset({"static", "accounts.two_factor", "accounts.logout", "accounts.set_language",
                                 "accounts.login", "accounts.login_verify", "accounts.verify",
                                 "accounts.confirm_email", "pages.healthz"})


# The pending marker ------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="venture.login.second-factor")  # type: ignore[arg-type]


def ask_second_factor(user: User, remember: bool, next_url: str | None) -> Any:
    """After a right password for an account with two-factor sign-in: log
    nobody in yet, remember who is halfway, and ask for the code."""
    session.clear()
    if current_user.is_authenticated:
        # Whoever was logged in on this browser is not any more; logging out
        # after the clear keeps its note to delete their remember-me cookie.
        services.end_login_session(db.session, current_user.current_login_token)
        logout_user()
    session[PENDING_KEY] = _serializer().dumps(
        {"user": user.id, "remember": bool(remember), "next": safe_next(next_url)})
    return redirect(url_for("accounts.login_verify"))


def _pending() -> dict[str, Any] | None:
    token = session.get(PENDING_KEY)
    if not isinstance(token, str):
        return None
    try:
        data = _serializer().loads(token, max_age=PENDING_SECONDS)
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    return data


def _limit_second_factor(user: User) -> None:
    """Counted like log-in attempts, per account and per address; a right code is taken back."""
    config = current_app.config
    rl = limiter()
    for key, limit in ((f"2fa:acct:{user.id}", config["LOGIN_LIMIT_PER_ACCOUNT"]),
                       (f"2fa:addr:{client_address()}", config["LOGIN_LIMIT_PER_ADDRESS"])):
        verdict = rl.hit(key, limit, config["LOGIN_WINDOW"])
        if not verdict.allowed:
            raise TooManyAttempts(verdict.retry_after)


@bp.route("/login/verify", methods=["GET", "POST"])
def login_verify() -> Any:
    pending = _pending()
    user = db.session.get(User, pending["user"]) if pending else None
    if pending is None or user is None or user.is_deleted or not twofactor.is_enabled(user):
        if PENDING_KEY in session:
            session.pop(PENDING_KEY, None)
            flash(_("More than five minutes passed since you entered your password. Log in again."), "info")
        if current_user.is_authenticated:
            return redirect(url_for("pages.home"))
        return redirect(url_for("accounts.login"))
    form = forms.SecondFactorForm()
    if form.validate_on_submit():
        _limit_second_factor(user)
        try:
            used = twofactor.check_second_factor(db.session, user, form.code.data)
        except DomainError as error:
            form_error(form, error)
        else:
            limiter().reset(f"2fa:acct:{user.id}")
            limiter().refund(f"2fa:addr:{client_address()}")  # only wrong codes count against the address
            response = finish_login(user, bool(pending.get("remember")), pending.get("next"))
            if used == "recovery":
                flash(_("You logged in with a recovery code; it cannot be used again. Recovery codes "
                        "left: %(count)d. You can make new ones on your two-factor sign-in page.",
                        count=twofactor.recovery_codes_left(db.session, user)), "info")
            return response
    if request.method == "POST":
        form.code.data = ""
        return _invalid("accounts/login_verify.html", form=form)
    return render_template("accounts/login_verify.html", form=form)


# The account's two-factor page ---------------------------------------------------------

def _page(status: int = 200, codes: list[str] | None = None, **forms_given: Any) -> Any:
    user = current_user
    context: dict[str, Any] = {
        "enabled": twofactor.is_enabled(user),
        "enrolling": twofactor.is_enrolling(user),
        "required": twofactor.required_for(user),
        "codes": codes,
        "confirm_form": forms_given.get("confirm_form") or forms.ConfirmTwoFactorForm(formdata=None),
        "disable_form": forms_given.get("disable_form") or forms.DisableTwoFactorForm(formdata=None),
        "regenerate_form": forms_given.get("regenerate_form") or forms.RegenerateCodesForm(formdata=None),
    }
    if context["enabled"]:
        context["codes_left"] = twofactor.recovery_codes_left(db.session, user)
    elif context["enrolling"] and codes is None:
        secret = user.totp_secret
        context["secret"] = twofactor.grouped(secret)
        context["qr"] = twofactor.qr_svg(twofactor.provisioning_uri(secret, user.email or str(user.id)),
                                         _("QR code to scan with your authenticator app"))
    return render_template("accounts/two_factor.html", **context), status


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor() -> Any:
    if request.method == "GET":
        return _page()
    action = request.form.get("action")
    user = current_user
    if action == "start":
        if forms.ConfirmForm().validate_on_submit():
            try:
                twofactor.start_enrolment(db.session, user)
            except DomainError as error:
                flash(str(error.message), "error")
        return redirect(url_for("accounts.two_factor"))
    if action == "confirm":
        confirm_form = forms.ConfirmTwoFactorForm()
        if confirm_form.validate_on_submit():
            try:
                codes = twofactor.confirm_enrolment(db.session, user, confirm_form.code.data)
            except DomainError as error:
                form_error(confirm_form, error)
            else:
                flash(_("Two-factor sign-in is on."), "success")
                return _page(codes=codes)
        confirm_form.code.data = ""
        return _page(422, confirm_form=confirm_form)
    if action == "disable":
        disable_form = forms.DisableTwoFactorForm()
        if disable_form.validate_on_submit():
            try:
                twofactor.disable(db.session, user, disable_form.password.data, disable_form.code.data)
            except DomainError as error:
                form_error(disable_form, error)
            else:
                flash(_("Two-factor sign-in is off. Logging in now needs only your password."), "success")
                return redirect(url_for("accounts.two_factor"))
        disable_form.code.data = ""
        return _page(422, disable_form=disable_form)
    if action == "regenerate":
        regenerate_form = forms.RegenerateCodesForm()
        if regenerate_form.validate_on_submit():
            try:
                codes = twofactor.regenerate_recovery_codes(db.session, user, regenerate_form.regenerate_code.data)
            except DomainError as error:
                form_error(regenerate_form, DomainError(error.message, field="regenerate_code"))
            else:
                flash(_("You have new recovery codes. The old ones no longer work."), "success")
                return _page(codes=codes)
        regenerate_form.regenerate_code.data = ""
        return _page(422, regenerate_form=regenerate_form)
    abort(400)


# Organizers and admins set it up first ---------------------------------------------------

@bp.before_app_request
def _staff_need_second_factor() -> Any:
    if not current_app.config.get("REQUIRE_2FA_FOR_STAFF"):
        return None
    if request.endpoint is None or request.endpoint in OPEN_WHILE_REQUIRED or request.blueprint == "api":
        return None  # the open-data API is the same for everyone and has no pages to protect
    if not current_user.is_authenticated or twofactor.is_enabled(current_user):
        return None
    if not twofactor.required_for(current_user):
        return None
    return redirect(url_for("accounts.two_factor"))
