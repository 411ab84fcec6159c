"""The migrations build the schema the models describe, and undo cleanly."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL
from venture.extensions import make_engine
from venture.migrate import downgrade, upgrade
from venture.models import metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "empty.sqlite3")
        return
    request.getfixturevalue("pg_url")  # skips or fails like every PostgreSQL test
    name = f"venture_migrations_{tmp_path.name[-20:]}".replace("-", "_").lower()
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _drift(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_upgrade_downgrade_upgrade_and_no_drift(empty_database: str) -> None:
    engine = make_engine(empty_database)
    try:
        upgrade(engine)
        assert _tables(engine) == set(metadata.tables)
        assert _drift(engine) == [], "models and migrations differ: write a migration"

        downgrade(engine, "base")
        assert _tables(engine) == set()

        upgrade(engine)
        assert _tables(engine) == set(metadata.tables)
        assert _drift(engine) == []
    finally:
        engine.dispose()
