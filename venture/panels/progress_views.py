"""The organizer's view of review progress, and reminder e-mails."""
from __future__ import annotations

from venture.panels.views import bp  # noqa: F401
