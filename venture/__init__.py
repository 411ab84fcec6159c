"""Venture: open calls, proposals, blind review and public results for
public-benefit venture competitions and micro-livelihood funding."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    pass


class Venture(Flask):
    """Flask, with every absolute URL built on the configured ``BASE_URL``.

    Flask builds them from the request's Host header, which the sender
    chooses: links in the API, its OpenAPI ``servers``, feeds and printed
    pages (and any cache in front of them) would point wherever a forged
    request liked. The path still comes from the routing (with the script
    root), so ``BASE_URL`` is the scheme and host only, as mail links use it.
    """

    def url_for(self, endpoint: str, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values: Any) -> str:
        from flask import has_request_context

        if has_request_context() and (_external or _scheme is not None):
            path = super().url_for(endpoint, _anchor=_anchor, _method=_method, _external=False, **values)
            return site_url(self, path)
        return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                               _external=_external, **values)


def site_url(app: Flask, path: str = "") -> str:
    """An absolute address on this site: ``BASE_URL`` and a path."""
    return str(app.config["BASE_URL"]).rstrip("/") + path


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Venture(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_relative_config=False,
    )
    app.config.from_pyfile(str(ROOT / "config.py"))
    if config:
        app.config.update(config)
    app.instance_path = app.config["INSTANCE_PATH"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _check_production(app)
    from venture.search.pg import check_config

    if problem := check_config(app.config):
        raise ConfigurationError(problem)
    _ensure_secret_key(app)
    app.debug = bool(app.config["DEBUG"])

    from venture import cli, logs, web
    from venture.core import l10n, ratelimit
    from venture.extensions import babel, csrf, db, login_manager

    logs.init_app(app)
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(
        app,
        locale_selector=lambda: l10n.parsed_locale(web.select_locale()),
        timezone_selector=web.select_timezone,
        default_translation_directories=str(ROOT / "venture" / "translations"),
        default_locale=app.config["DEFAULT_LOCALE"],
        default_timezone=app.config["DEFAULT_TIMEZONE"],
    )
    l10n.install(app, babel)
    ratelimit.init_app(app)
    web.init_app(app)
    _register_blueprints(app)
    cli.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from venture.accounts.views import bp as accounts
    from venture.admin.views import bp as admin
    from venture.bodies.views import bp as bodies
    from venture.calls.views import bp as calls
    from venture.comments.views import bp as comments
    from venture.experts.views import bp as experts
    from venture.groups.views import bp as groups
    from venture.invitations.views import bp as invitations
    from venture.pages.views import bp as pages
    from venture.panels.views import bp as panels
    from venture.proposals.views import bp as proposals
    from venture.results.views import bp as results
    from venture.review.views import bp as review
    from venture.screening.views import bp as screening
    from venture.search.views import bp as search
    from venture.showcase.views import bp as showcase

    for blueprint in (pages, accounts, groups, bodies, invitations, admin, calls, proposals, showcase, comments, search,
                      experts, screening, panels, review, results):
        app.register_blueprint(blueprint)

    # Results in public (the results page, objections, exports, the group's
    # feedback) and the open data API.
    from venture.api.views import bp as api
    from venture.audit.views import bp as transparency
    from venture.results.public_views import bp as results_public

    app.register_blueprint(results_public)
    app.register_blueprint(transparency)
    app.register_blueprint(api, url_prefix="/api/v1")

    # Funded projects: agreements, reports, tranches, evaluations, bars.
    from venture.projects.views import bp as projects

    app.register_blueprint(projects)


def _ensure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        # Written once with owner-only permissions, then reused by every process.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _check_production(app: Flask) -> None:
    if app.config["ENV"] != "production":
        return
    if app.config["DEBUG"]:
        raise ConfigurationError("VENTURE_DEBUG must be off in production")
    from venture.core.ratelimit import store_kind

    if store_kind(app.config) == "memory":
        raise ConfigurationError(
            "RATE_LIMIT_STORE=memory counts attempts in each process: production needs the "
            "database store (the default) or REDIS_URL")
    secret = str(app.config.get("SECRET_KEY") or "")
    if len(secret) < 32 or len(set(secret)) < 10:  # too short, or a repeated character
        raise ConfigurationError(
            "production needs SECRET_KEY set in the environment to a random value of 32+ characters"
        )
    from venture.audit.signing import production_problem

    problem = production_problem(app)
    if problem:
        raise ConfigurationError(problem)
