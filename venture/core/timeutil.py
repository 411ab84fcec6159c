"""Time helpers: the server clock is the only clock that decides anything."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_to_utc(naive: datetime, zone: str) -> datetime:
    """A wall-clock time in a named zone, as a UTC moment."""
    return naive.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def utc_to_local(moment: datetime, zone: str) -> datetime:
    """A UTC moment as a naive wall-clock time in a named zone (for form inputs)."""
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
