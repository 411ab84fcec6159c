"""Extensions shared by the whole application, attached in ``create_app``."""
from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Database:
    """One engine per application and one session per application context.

    Views never commit: the request commits once at its end (see
    ``venture.web``); services only flush. On SQLite a request that may write
    opens its transaction with ``BEGIN IMMEDIATE`` so concurrent writers queue
    on the busy timeout instead of failing when a read snapshot goes stale;
    reading requests keep the cheap deferred transaction.
    """

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._sessionmaker: sessionmaker[Session] | None = None

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        self.engine = make_engine(url, echo=app.config.get("DATABASE_ECHO", False))
        self._sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        app.extensions["venture.db"] = self
        app.teardown_appcontext(self._close_session)

    @property
    def session(self) -> Session:
        session = g.get("_venture_db_session")
        if session is None:
            assert self._sessionmaker is not None, "Database.init_app was not called"
            session = self._sessionmaker()
            g._venture_db_session = session
        return session

    def _close_session(self, exc: BaseException | None) -> None:
        session = g.pop("_venture_db_session", None)
        if session is not None:
            session.close()

    @property
    def is_sqlite(self) -> bool:
        return self.engine is not None and self.engine.dialect.name == "sqlite"


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        reading = has_request_context() and request.method in SAFE_METHODS
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
