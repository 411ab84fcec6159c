from __future__ import annotations

from flask import Blueprint

bp = Blueprint("screening", __name__)
