"""Where the site lives: its source tree, its absolute addresses, and the
error a wrong configuration raises. Below every domain, so any layer may ask."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent.parent


class ConfigurationError(RuntimeError):
    pass


def site_url(app: Flask, path: str = "") -> str:
    """An absolute address on this site: ``BASE_URL`` and a path."""
    return str(app.config["BASE_URL"]).rstrip("/") + path
