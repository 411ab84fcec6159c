"""Stash and log in: what an editor sent after its session expired is kept,
tied to the browser, and put back in the form after the next log-in.

Both editors (a proposal's and a reviewer's score sheet) use it; each
registers its own stash function for its endpoint, so the request layer
(``venture.web``) never reaches up into a view.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_wtf.csrf import CSRFError

from venture.web import _csrf_error

BROWSER_COOKIE = "venture_browser"
STASH_MAX_CHARS = 400_000


def _set_browser_cookie(response: Response, value: str) -> None:
    response.set_cookie(BROWSER_COOKIE, value, max_age=30 * 86400, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))


def keep_on_expiry(bp: Blueprint, endpoint: str, id_arg: str, stash_and_login: Callable[[str], Response]) -> None:
    """A browser session lost mid-form on ``endpoint``: keep the text rather
    than refuse it. Only for a browser that opened the editor before (it
    carries our SameSite cookie); a cross-site post never does."""

    @bp.errorhandler(CSRFError)
    def _expired(error: CSRFError) -> Any:
        if (request.method == "POST" and request.endpoint == endpoint and request.view_args
                and request.cookies.get(BROWSER_COOKIE)):
            return stash_and_login(str(request.view_args.get(id_arg, "")))
        return _csrf_error(error)
