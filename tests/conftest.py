"""Fixtures shared by every test.

Every test that touches the database runs twice: on SQLite and on
PostgreSQL (a throw-away database created for the session). Without
PostgreSQL the PostgreSQL half is skipped locally and fails in CI.
"""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from venture import create_app
from venture.extensions import db
from venture.migrate import upgrade

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_URL = os.environ.get("VENTURE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "not available"
        return f"{type(error).__name__}: {error}"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    problem = _pg_available()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is not reachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"venture_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "venture-test.sqlite3")


_migrated: set[str] = set()


def database_url(request: pytest.FixtureRequest, backend: str) -> str:
    url = request.getfixturevalue("pg_url" if backend == "postgresql" else "sqlite_url")
    if url not in _migrated:
        engine = db_engine_for(url)
        upgrade(engine)
        engine.dispose()
        _migrated.add(url)
    return url


def db_engine_for(url: str) -> Any:
    from venture.extensions import make_engine

    return make_engine(url)


def test_config(tmp_path: Path, url: str, **overrides: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "SEARCH_INDEX_FOLDER": str(tmp_path / "index"),
        "MAIL_BACKEND": "outbox",
        "MAIL_OUTBOX_FOLDER": str(tmp_path / "outbox"),
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "REDIS_URL": "",
        "REQUIRE_2FA_FOR_STAFF": False,
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return config


def clear_database(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        assert engine is not None
        from venture.models import metadata

        tables = [t.name for t in reversed(metadata.sorted_tables)]
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                        + " RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(text(f'DELETE FROM "{table}"'))
        engine.dispose()
        counters = getattr(app.extensions["venture.ratelimit"].store, "engine", None)
        if counters is not None:  # the rate limiter's own pool
            counters.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to change settings for its tests."""
    return {}


@pytest.fixture
def app(request: pytest.FixtureRequest, backend: str, tmp_path: Path,
        app_config: dict[str, Any]) -> Iterator[Flask]:
    url = database_url(request, backend)
    application = create_app(test_config(tmp_path, url, **app_config))
    yield application
    clear_database(application)


class Client(FlaskClient):
    """A test client that sends the CSRF token with forms, as a browser would."""

    def csrf_token(self) -> str:
        page = self.get("/about").get_data(as_text=True)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert found, "no CSRF token on /about"
        return found.group(1)

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    with app.app_context():
        yield db.session


# Builders -----------------------------------------------------------------------

def make_user(app: Flask, email: str, *, verified: bool = True, name: str | None = None,
              password: str = PASSWORD, admin: bool = False) -> int:
    from venture.accounts import passwords
    from venture.accounts.models import User
    from venture.core.timeutil import utcnow

    with app.app_context():
        user = User(email=email, display_name=name or email.split("@")[0].title(),
                    password_hash=passwords.hash_password(password),
                    email_verified_at=utcnow() if verified else None, is_site_admin=admin)
        db.session.add(user)
        db.session.commit()
        return user.id


def login(client: Any, email: str, password: str = PASSWORD, remember: bool = False) -> Any:
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.submit("/login", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def outbox(app: Flask, recipient: str | None = None) -> list[Any]:
    from venture.mail.models import OutboxMail

    with app.app_context():
        query = select(OutboxMail).order_by(OutboxMail.id)
        if recipient:
            query = query.where(OutboxMail.recipient == recipient)
        mails = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(mails)


def link_in(mail: Any, path_prefix: str) -> str:
    found = re.search(r"http://localhost(" + re.escape(path_prefix) + r"[^\s]+)", mail.body_text)
    assert found, f"no {path_prefix} link in {mail.body_text!r}"
    return found.group(1)


@pytest.fixture
def bare_app(tmp_path: Path) -> Iterator[Flask]:
    """The application without a database, for unit tests that need its
    configuration, translations or templates."""
    application = create_app(test_config(tmp_path, "sqlite://"))
    with application.test_request_context("/"):
        yield application


def count_statements(app: Flask, client: Any, path: str) -> int:
    """How many SQL statements answering a GET of ``path`` runs (it must succeed)."""
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    seen: list[int] = []

    def count(*_args: Any, **_kwargs: Any) -> None:
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)
