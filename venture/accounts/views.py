from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from venture.accounts import attempts, forms, services
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.ratelimit import TooManyAttempts, limiter
from venture.extensions import db
from venture.web import LOCALE_COOKIE, client_address, form_error, locale_code, redirect_next, safe_next

bp = Blueprint("accounts", __name__)


def _invalid(template: str, **context: Any) -> tuple[str, int]:
    """Re-render a form that failed validation, keeping what was typed."""
    return render_template(template, **context), 422


def _limit_form(name: str) -> None:
    verdict = limiter().hit(f"{name}:addr:{client_address()}",
                            current_app.config["FORM_LIMIT_PER_ADDRESS"], 3600)
    if not verdict.allowed:
        raise TooManyAttempts(verdict.retry_after)


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        _limit_form("register")
        try:
            services.register(db.session, form.email.data, form.display_name.data,
                                            form.password.data, locale=locale_code())
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect(url_for("accounts.check_inbox"))
    if request.method == "POST":
        return _invalid("accounts/register.html", form=form)
    return render_template("accounts/register.html", form=form)


@bp.route("/register/check-inbox")
def check_inbox() -> Any:
    return render_template("accounts/check_inbox.html")


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token: str) -> Any:
    form = forms.ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            user = services.verify_email(db.session, token)
        except DomainError as error:
            return render_template("accounts/link_invalid.html", message=error.message), 400
        flash(_("Your e-mail address is confirmed. Welcome!"), "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for("accounts.settings"))
        return redirect(url_for("accounts.login"))
    found = services.peek_token(db.session, token, "verify_email")
    if found is None:
        return render_template("accounts/link_invalid.html",
                               message=_("This link is invalid, already used or expired. "
                                         "Log in to ask for a new one.")), 404
    return render_template("accounts/verify.html", form=form)


@bp.route("/verify/resend", methods=["POST"])
@login_required
def resend_verification() -> Any:
    _limit_form("resend")
    if current_user.is_verified:
        return redirect(url_for("accounts.settings"))
    services.send_verification(db.session, current_user)
    flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("accounts.settings"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = forms.LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(db.session, form.email.data, form.password.data,
                                         client_address(), request.cookies.get(attempts.DEVICE_COOKIE))
        except services.MailCheckNeeded as error:
            # The same page for a right and a wrong password; 200, so a mailed link is kept.
            return render_template("accounts/login_check_inbox.html", message=error.message)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            from venture.accounts import twofactor
            from venture.accounts.twofactor_views import ask_second_factor

            if twofactor.is_enabled(user):
                # Not logged in yet: the code comes first (see twofactor_views).
                return ask_second_factor(user, bool(form.remember.data), form.next.data)
            return finish_login(user, bool(form.remember.data), form.next.data)
    if request.method == "POST":
        form.password.data = ""
        return _invalid("accounts/login.html", form=form)
    return render_template("accounts/login.html", form=form)


def finish_login(user: Any, remember: bool, next_url: str | None) -> Any:
    """Log in for real: a new server-side sign-in handle, a fresh session."""
    services.start_login_session(db.session, user, remember)
    session.clear()
    login_user(user, remember=remember, duration=_remember_duration())
    response = redirect(safe_next(next_url))
    _trust_device(response, user)
    if user.locale:
        response.set_cookie(LOCALE_COOKIE, user.locale, max_age=365 * 86400,
                            samesite="Lax", httponly=True)
    return response


def _trust_device(response: Any, user: Any) -> None:
    """This browser is trusted for the account as it is now (see ``attempts``):
    locks on its network address do not stop it."""
    response.set_cookie(attempts.DEVICE_COOKIE,
                        attempts.device_cookie(request.cookies.get(attempts.DEVICE_COOKIE), user.id,
                                               services.account_state(user)),
                        max_age=attempts.DEVICE_DAYS * 86400, samesite="Lax", httponly=True,
                        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))


def _remember_duration() -> Any:
    from datetime import timedelta

    return timedelta(days=current_app.config["REMEMBER_DAYS"])


@bp.route("/login/confirm/<token>", methods=["GET", "POST"])
def confirm_login(token: str) -> Any:
    """The link mailed when an account under attack is entered from a new device."""
    form = forms.ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            user = services.confirm_login(db.session, token)
        except DomainError as error:
            return render_template("accounts/link_invalid.html", message=error.message), 400
        from venture.accounts import twofactor
        from venture.accounts.twofactor_views import ask_second_factor

        if twofactor.is_enabled(user):
            return ask_second_factor(user, False, None)
        return finish_login(user, False, None)
    if services.peek_token(db.session, token, "confirm_login") is None:
        return render_template("accounts/link_invalid.html",
                               message=_("This link is invalid, already used or expired. "
                                         "Log in to ask for a new one.")), 404
    return render_template("accounts/confirm_login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if current_user.is_authenticated:
        services.end_login_session(db.session, current_user.current_login_token)
        logout_user()
    session.clear()
    flash(_("You have logged out."), "success")
    return redirect(url_for("pages.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Any:
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session, form.email.data, client_address(), locale_code())
        return render_template("accounts/reset_sent.html", email=form.email.data)
    if request.method == "POST":
        return _invalid("accounts/forgot_password.html", form=form)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    if services.peek_token(db.session, token, "reset_password") is None:
        return render_template("accounts/link_invalid.html",
                               message=_("This link is invalid, already used or expired. "
                                         "Ask for a new one.")), 404
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(db.session, token, form.password.data)
        except DomainError as error:
            form_error(form, error)
        else:
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    if request.method == "POST":
        return _invalid("accounts/reset_password.html", form=form)
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    form = forms.ProfileForm(obj=current_user, locale=current_user.locale or "")
    if form.validate_on_submit():
        services.update_profile(db.session, current_user, form.display_name.data,
                                form.locale.data, form.timezone.data)
        flash(_("Your settings are saved."), "success")
        response = redirect(url_for("accounts.settings"))
        if form.locale.data:
            response.set_cookie(LOCALE_COOKIE, form.locale.data, max_age=365 * 86400,
                                samesite="Lax", httponly=True)
        return response
    if request.method == "POST":
        return _invalid("accounts/settings.html", form=form)
    return render_template("accounts/settings.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, current_user, form.current_password.data,
                                     form.password.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            response = redirect(url_for("accounts.settings"))
            _trust_device(response, current_user)  # trusted as of the new password
            return response
    if request.method == "POST":
        return _invalid("accounts/change_password.html", form=form)
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def change_email() -> Any:
    form = forms.ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(db.session, current_user, form.password.data,
                                                 form.new_email.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("We sent a confirmation link to %(email)s. Your address changes when you "
                    "open it.", email=form.new_email.data), "success")
            return redirect(url_for("accounts.settings"))
    if request.method == "POST":
        return _invalid("accounts/change_email.html", form=form)
    return render_template("accounts/change_email.html", form=form)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> Any:
    form = forms.ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.confirm_email_change(db.session, token)
        except DomainError as error:
            return render_template("accounts/link_invalid.html", message=error.message), 409
        flash(_("Your e-mail address is changed."), "success")
        return redirect(url_for("accounts.settings" if current_user.is_authenticated
                                else "accounts.login"))
    if services.peek_token(db.session, token, "change_email") is None:
        return render_template("accounts/link_invalid.html",
                               message=_("This link is invalid, already used or expired.")), 404
    return render_template("accounts/verify.html", form=form, changing_email=True)


@bp.route("/account/data")
@login_required
def personal_data() -> Any:
    return render_template("accounts/data.html")


@bp.route("/account/data.json", methods=["POST"])
@login_required
def personal_data_json() -> Any:
    """The download is a POST: it is audited, and only writing requests commit."""
    from venture.accounts import personal_data

    _limit_form("data")
    verdict = limiter().hit(f"data:user:{current_user.id}", current_app.config["FORM_LIMIT_PER_ADDRESS"], 3600)
    if not verdict.allowed:
        raise TooManyAttempts(verdict.retry_after)
    response = make_response(personal_data.export(db.session, current_user))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="{personal_data.FILENAME}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> Any:
    form = forms.DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(db.session, current_user, form.password.data)
        except DomainError as error:
            form_error(form, error)
        else:
            logout_user()
            session.clear()
            flash(_("Your account is deleted. What you wrote in public stays, shown as from a "
                    "deleted user."), "success")
            return redirect(url_for("pages.home"))
    if request.method == "POST":
        return _invalid("accounts/delete.html", form=form)
    return render_template("accounts/delete.html", form=form)


@bp.route("/language", methods=["POST"])
def set_language() -> Any:
    code = request.form.get("lang", "")
    if code not in current_app.config["LANGUAGES"]:
        abort(400)
    if current_user.is_authenticated:
        current_user.locale = code
    response = make_response(redirect_next())
    response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


# Two-factor sign-in: its routes join this blueprint.
from venture.accounts import twofactor_views  # noqa: E402,F401
