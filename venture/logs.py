"""Structured logs: one JSON object per line, a request id on every line
written during a request, and no personal data.

* ``init_app`` installs (once per process) a handler on the root logger that
  writes JSON lines to standard error, and wraps the application so each
  request ends with one line: time, level, logger, message, request_id,
  method, path (never the query string), status, duration_ms and user_id
  (the account's number; never an e-mail address or a name).
* ``ScrubFilter`` rewrites every record the handler sees: what looks like an
  e-mail address, a phone number, a ``password=`` / ``token:`` style field,
  a query string or a random token (such as the one in a password-reset
  link's path) is replaced before anything is written. Exception text is
  scrubbed too (database errors quote the values they refused).
* ``scrub`` is the same rule as a function; gunicorn.conf.py uses it on the
  paths of its access log.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context

REQUEST_LOGGER = "venture.request"
ENVIRON_USER = "venture.user_id"
# Attributes a record may carry (``extra=``) that become fields of its line.
FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id")

_QUERY = re.compile(r"\?[^\s\"'<>#]*=[^\s\"'<>#]*")
# A secret's value runs to its closing quote, or unquoted to the next
# separator or the end of the line (a pass phrase may hold spaces).
_SECRET_FIELD = re.compile(
    r"(?i)(\b[\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key|authorization|cookie|csrf)[\w-]*"
    r"[\"']?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^&,;)}\]\n]+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]+")
_EMAIL = re.compile(r"[\w.%+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(
    r"(?<![\w.+])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\w)"   # mobile
    r"|(?<![\w.+])0\d{2,3}[\s-]\d{7,8}(?!\w)"                             # landline
    r"|(?<![\w.])\+\d{1,3}(?:[\s-]?\d){7,13}(?!\w)")                      # international
_RANDOM = re.compile(r"[A-Za-z0-9_-]{20,}")
_HEX = re.compile(r"[0-9a-f]+")


def _random_looking(match: re.Match[str]) -> str:
    """A long run of letters and digits that is not a hex digest or id (those
    are kept: request ids, fingerprints) nor a word or identifier."""
    word = match.group(0)
    if _HEX.fullmatch(word):
        return word
    has_digit = any(c.isdigit() for c in word)
    has_letter = any(c.isalpha() for c in word)
    mixed_case = any(c.isupper() for c in word) and any(c.islower() for c in word)
    return "[token]" if (has_digit and has_letter) or mixed_case else word


def scrub(text: str) -> str:
    """``text`` without query strings, secret fields, e-mail addresses, phone
    numbers or random tokens."""
    if not text:
        return text
    text = _QUERY.sub("?[query]", text)
    text = _SECRET_FIELD.sub(r"\1[redacted]", text)
    text = _BEARER.sub(r"\1 [redacted]", text)
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _RANDOM.sub(_random_looking, text)


def redact_path(path: str) -> str:
    """A request path fit for a log: no query string, no token segment."""
    return scrub(path.split("?", 1)[0])


class ScrubFilter(logging.Filter):
    """Replace a record's message and arguments by their scrubbed rendering,
    and its exception text by a scrubbed one. Never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_venture_scrubbed", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string still must not leak its arguments
            message = f"{record.msg} {record.args!r}"
        record.msg = scrub(str(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        record._venture_scrubbed = True
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if "request_id" not in line and has_request_context():
            request_id = g.get("request_id")
            if request_id:
                line["request_id"] = request_id
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(self.formatException(record.exc_info))
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """JSON lines to standard error (looked up at each write, so a replaced
    ``sys.stderr`` is followed) or to the stream given."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._fixed = stream
        self.setFormatter(JsonFormatter())
        self.addFilter(ScrubFilter())

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return self._fixed if self._fixed is not None else sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        self._fixed = value


_handler: JsonHandler | None = None


def handler() -> JsonHandler:
    """The process's one JSON handler on the root logger (installed on first use)."""
    global _handler
    if _handler is None:
        _handler = JsonHandler()
        logging.getLogger().addHandler(_handler)
    return _handler


def init_app(app: Flask) -> None:
    handler()
    level = str(app.config.get("LOG_LEVEL") or "INFO").upper()
    logging.getLogger("venture").setLevel(level)
    app.after_request(_note_user)
    app.wsgi_app = RequestLog(app.wsgi_app)  # type: ignore[method-assign]


def _note_user(response: Any) -> Any:
    """Leave the signed-in account's number where the request line finds it
    (only when the request already loaded the user: no query for this)."""
    from flask import request

    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        request.environ[ENVIRON_USER] = getattr(user, "id", None)
    return response


class RequestLog:
    """WSGI middleware writing one line per request once its status is known
    (so a failed commit shows as the 500 it became)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.log = logging.getLogger(REQUEST_LOGGER)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()

        def start_and_log(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            try:
                self._write(environ, status, headers, started)
            except Exception:  # noqa: BLE001 - logging never breaks a response
                pass
            return start_response(status, headers, exc_info)

        return self.app(environ, start_and_log)

    def _write(self, environ: dict[str, Any], status: str, headers: list[tuple[str, str]],
               started: float) -> None:
        code = int(status.split(" ", 1)[0])
        level = logging.ERROR if code >= 500 else logging.INFO
        if not self.log.isEnabledFor(level):
            return
        method = environ.get("REQUEST_METHOD", "")
        raw = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
        path = redact_path(raw.encode("latin-1", "replace").decode("utf-8", "replace"))
        request_id = next((value for name, value in headers if name.lower() == "x-request-id"), None)
        duration = round((time.perf_counter() - started) * 1000, 1)
        self.log.log(level, "%s %s %s %.1fms", method, path, code, duration, extra={
            "request_id": request_id or None, "method": method, "path": path, "status": code,
            "duration_ms": duration, "user_id": environ.get(ENVIRON_USER)})
