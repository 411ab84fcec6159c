"""Errors the domain raises; views turn them into messages or HTTP answers."""
from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the change. ``message`` is user-facing
    (already translated or lazily translatable); ``field`` names the form
    field it belongs to, when there is one."""

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The acting user may not do this."""


class InvalidTransition(DomainError):
    """An object was asked to move to a state it cannot reach from its current one."""
