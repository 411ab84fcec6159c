"""The request's life: language, time zone, the one commit, headers, errors,
and the helpers views and templates share."""
from __future__ import annotations

import logging
import re
import secrets
import threading
import uuid
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix

from venture import permissions
from venture.core import l10n, numbers, sanitize
from venture.core.errors import DomainError
from venture.core.l10n import gettext as _
from venture.core.l10n import lazy_gettext as _l
from venture.core.ratelimit import TooManyAttempts
from venture.extensions import SAFE_METHODS, db, login_manager

T = TypeVar("T")
MAX_ID = 2**31 - 1  # the largest integer key PostgreSQL stores
LOCALE_COOKIE = "lang"
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
log = logging.getLogger("venture.request")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

ERROR_TEXT = {
    400: (_l("Bad request"), _l("The request could not be understood. Check what you entered and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to see this page or do this.")),
    404: (_l("Page not found"), _l("There is no page at this address. It may have moved, or the link may be wrong.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("File too large"), _l("What you sent is larger than this site accepts. Make the file smaller and try again.")),
    422: (_l("Cannot process"), _l("What you sent could not be processed. Check it and try again.")),
    429: (_l("Too many attempts"), _l("You have tried this too often. Wait a little and try again.")),
    500: (_l("Something went wrong"), _l("An error occurred on our side. It has been logged; please try again later.")),
}


def init_app(app: Flask) -> None:
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"],  # type: ignore[method-assign]
                                x_proto=app.config["PROXY_COUNT"])
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.anonymous_user = permissions.Anonymous
    login_manager.user_loader(_load_user)

    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.after_request(_security_headers)
    app.jinja_env.globals.update(
        can=lambda action, obj=None: permissions.can(current_user, action, obj),
        current_locale=locale_code,
        html_lang=lambda: HTML_LANG[locale_code()],
        other_languages=_other_languages,
        is_organizer=lambda: permissions.is_any_organizer(current_user),
        display_timezone=select_timezone,
    )
    app.jinja_env.filters.update(datetime=format_moment, date=format_day, money=format_money,
                                 safe_html=sanitize.safe, plain=numbers.plain)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    for code in ERROR_TEXT:
        app.register_error_handler(code, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(TooManyAttempts, _too_many)
    app.register_error_handler(Exception, _unexpected)


# Language and time zone ------------------------------------------------------

def match_language(accept: Any) -> str | None:
    """The first of our languages the browser asks for, in its order."""
    for value, _quality in accept:
        tag = value.lower().replace("_", "-")
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return None


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["DEFAULT_LOCALE"]
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in languages:
        return chosen
    return match_language(request.accept_languages) or current_app.config["DEFAULT_LOCALE"]


def locale_code() -> str:
    """The request's language as one of LANGUAGES ("zh_CN" or "en"); Babel
    itself names Chinese "zh_Hans_CN"."""
    return "en" if get_locale().language == "en" else "zh_CN"


def select_timezone() -> str:
    if has_request_context() and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


def _other_languages() -> list[tuple[str, str]]:
    names = {"zh_CN": "中文", "en": "English"}
    current = locale_code()
    return [(code, names[code]) for code in current_app.config["LANGUAGES"] if code != current]


def format_moment(value: Any, format: str = "medium") -> str:
    return l10n.format_datetime(value, format) if value is not None else ""


def format_day(value: Any, format: str = "long") -> str:
    return l10n.format_date(value, format) if value is not None else ""


def format_money(fen: int | None) -> str:
    if fen is None:
        return ""
    return l10n.format_money(fen)


# Sign-in -----------------------------------------------------------------------

def _load_user(handle: str) -> Any:
    from venture.accounts import services as accounts

    return accounts.user_for_login_token(db.session, handle)


# The request's life --------------------------------------------------------------

def _start_request() -> None:
    # A proxy's request id is kept when it looks like one; anything else (it is
    # echoed in a response header and in every log line) gets a fresh id.
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.csp_nonce = secrets.token_urlsafe(16)
    g.mail_to_deliver = []


def _finish_request(response: Response) -> Response:
    """Commit once, when a writing request succeeded; otherwise roll back."""
    session = g.get("_venture_db_session")
    if session is not None:
        if request.method not in SAFE_METHODS and response.status_code < 400:
            session.commit()
            if current_app.config.get("BACKGROUND_WORK") == "worker":  # a worker picks the rows up
                response.headers["X-Request-Id"] = g.get("request_id", "")
                return response
            queued = [mail.id for mail in g.get("mail_to_deliver", []) if mail.id is not None]
            if queued:
                _deliver_after_commit(queued)
            if g.get("search_queued"):
                from venture.search import services as search

                search.after_commit(current_app._get_current_object())  # type: ignore[attr-defined]
        else:
            session.rollback()
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response


def _deliver_after_commit(ids: list[int]) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def deliver() -> None:
        from venture.mail.services import deliver_pending

        with app.app_context():
            try:
                deliver_pending(db.session, ids=ids)
            except Exception:  # noqa: BLE001 - the change is committed; `mail send` retries
                app.logger.exception("mail delivery after the request failed")

    if app.config["MAIL_BACKEND"] == "outbox" or app.testing:
        deliver()
    else:  # a slow SMTP server never holds up the person who caused the mail
        threading.Thread(target=deliver, daemon=True).start()


def _security_headers(response: Response) -> Response:
    nonce = g.get("csp_nonce", "")
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("HTTPS_ONLY"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static" and current_user and getattr(current_user, "is_authenticated", False):
        headers.setdefault("Cache-Control", "no-store")
    return response


# Errors -----------------------------------------------------------------------

def render_error(code: int, message: Any = None) -> tuple[str, int]:
    title, default = ERROR_TEXT.get(code, ERROR_TEXT[500])
    return render_template("errors/error.html", code=code, title=title,
                           message=message or default), code


def _http_error(error: HTTPException) -> Any:
    code = error.code or 500
    response = render_error(code)
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        return response[0], code, {"Allow": ", ".join(error.valid_methods)}
    return response


def _csrf_error(error: CSRFError) -> Any:
    if request.method == "POST" and request.endpoint == "proposals.edit" and request.view_args:
        # A browser session lost mid-draft: keep the text rather than refuse it.
        # Only for a browser that opened the editor before (it carries our
        # SameSite cookie); a cross-site post never does.
        from venture.proposals.views import BROWSER_COOKIE, stash_and_login

        if request.cookies.get(BROWSER_COOKIE):
            return stash_and_login(str(request.view_args.get("proposal_id", "")))
    if request.method == "POST" and request.endpoint == "review.assignment" and request.view_args:
        # The same for a reviewer's score sheet.
        from venture.proposals.views import BROWSER_COOKIE
        from venture.review.views import stash_and_login as stash_review

        if request.cookies.get(BROWSER_COOKIE):
            return stash_review(str(request.view_args.get("assignment_id", "")))
    return render_error(400, _("This form has expired or was not sent from this site. "
                               "Go back, reload the page and send it again; "
                               "what you typed is usually still in the form when you go back."))


def _too_many(error: TooManyAttempts) -> Any:
    minutes = max(1, (error.retry_after + 59) // 60)
    body, code = render_error(429, _("Too many attempts. Try again in %(minutes)d minutes.",
                                     minutes=minutes))
    return body, code, {"Retry-After": str(error.retry_after)}


def _unexpected(error: Exception) -> Any:
    if isinstance(error, HTTPException):
        return _http_error(error)
    current_app.logger.exception("unhandled error (request %s)", g.get("request_id"))
    session = g.get("_venture_db_session")
    if session is not None:
        session.rollback()
    if current_app.debug:
        raise error
    return render_error(500)


# Helpers for views ---------------------------------------------------------------

def load(model: type[T], ident: Any) -> T | None:
    """Fetch by primary key; None for an id that names nothing (missing, not a
    number, out of the range a key can take)."""
    try:
        key = int(ident)
    except (TypeError, ValueError, OverflowError):
        return None
    if not 0 < key <= MAX_ID:
        return None
    return db.session.get(model, key)


def load_or_404(model: type[T], ident: Any, action: str | None = None) -> T:
    """Fetch by primary key (404 when absent) and, given an action, authorise
    it for the current user: 403, or 404 where the rule hides the object's
    existence (``permissions.rule(hidden=...)``), so a forbidden object and a
    missing one then get the same answer. The one way views reach a stored object."""
    obj = load(model, ident)
    if obj is None:
        raise NotFound()
    if action is not None:
        permissions.require(current_user, action, obj)
    return obj


def safe_next(target: str | None, fallback: str = "pages.home") -> str:
    """A redirect target only if it stays on this site."""
    if target:
        target = target.strip().replace("\\", "/")
        parts = urlsplit(target)
        if (not parts.scheme and not parts.netloc and target.startswith("/")
                and not target.startswith("//") and "\n" not in target and "\r" not in target):
            return target
    return url_for(fallback)


def redirect_next(fallback: str = "pages.home") -> Response:
    return redirect(safe_next(request.values.get("next"), fallback))


def form_error(form: Any, error: DomainError) -> None:
    """Show a domain refusal next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")


def client_address() -> str:
    return request.remote_addr or "unknown"
