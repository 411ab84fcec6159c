from __future__ import annotations

from flask import Blueprint

bp = Blueprint("panels", __name__)

# The organizer's progress dashboard and reminders live in their own module.
from venture.panels import progress_views  # noqa: E402,F401
