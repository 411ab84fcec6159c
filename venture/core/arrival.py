"""When a request reached the server.

A deadline is judged by the moment a request arrived, not by the moment a
worker got round to it: under a rush the two can be seconds apart. The moment
is taken as the request starts (``capture``, a ``before_request`` hook) or,
when ``TRUSTED_ARRIVAL_HEADER`` names a header set by the front proxy, read
from that header (seconds since the epoch, optionally prefixed ``t=``, as
nginx's ``$msec`` or Heroku's ``X-Request-Start`` give it). A header value
that cannot be read, or that lies in the future, falls back to the server's
own clock: a proxy cannot have received a request after the server did.
Only configure the header when the proxy always sets it and strips it from
what clients send.
"""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from flask import current_app, g, has_request_context, request

from venture.core.timeutil import utcnow

# How far a proxy's stamp may lie before the server's own start: further back
# than this it is not a proxy's clock but a forged or stale header.
MAX_PROXY_LEAD = timedelta(minutes=5)


def parse_stamp(value: str) -> datetime | None:
    """A proxy's arrival stamp as a UTC moment; None when unreadable."""
    text = value.strip()
    if text.startswith("t="):
        text = text[2:]
    try:
        seconds = float(text)
    except ValueError:
        return None
    if seconds != seconds or seconds <= 0:  # NaN or nonsense
        return None
    if seconds > 1e11:  # milliseconds or microseconds since the epoch
        seconds /= 1000 if seconds < 1e14 else 1_000_000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


_accepted = threading.local()


def note_accepted(moment: float | None) -> None:
    """The moment (seconds since the epoch) the server accepted the connection
    of the request this thread is about to handle (``venture.arrival_worker``)."""
    _accepted.moment = moment


def capture() -> None:
    """Note the request's arrival (a ``before_request`` hook)."""
    started = utcnow()
    g.arrived_at = started
    accepted = getattr(_accepted, "moment", None)
    if accepted is not None:
        moment = datetime.fromtimestamp(accepted, UTC)
        if started - MAX_PROXY_LEAD <= moment <= started:
            g.arrived_at = moment
    header = current_app.config.get("TRUSTED_ARRIVAL_HEADER") or ""
    if header and (value := request.headers.get(header)):
        stamp = parse_stamp(value)
        if stamp is not None and started - MAX_PROXY_LEAD <= stamp <= started:
            g.arrived_at = stamp


def arrived_at() -> datetime:
    """When the current request reached the server (the clock outside a request)."""
    if has_request_context():
        moment = g.get("arrived_at")
        if moment is not None:
            return moment
    return utcnow()
