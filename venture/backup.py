"""Backups: ``flask --app venture backup create DIR`` and ``backup restore DIR``.

A backup is a directory::

    manifest.json        what is inside and how to check it (see below)
    database.sqlite3     SQLite: a copy made with SQLite's online backup API
    database.pgdump      PostgreSQL: ``pg_dump --format=custom``
    uploads/ab/abcd...   the proposal attachments, as stored on disk

It is taken while the site is serving. The database copy is one consistent
snapshot: SQLite copies every page in one step under a read lock (writers
carry on in the WAL); on PostgreSQL the command opens a REPEATABLE READ
transaction, exports its snapshot and hands it to ``pg_dump --snapshot``, so
the dump, the table counts and the audit chain head in the manifest all
describe the same moment. Uploaded files are copied after the snapshot:
files are written before the row naming them commits and are never deleted,
so every file the snapshot names is on disk by then (the manifest lists any
that are not). The search index is not included: it is derived from the
database (``flask --app venture search rebuild`` after a restore).

``manifest.json`` holds the time, the schema revision (Alembic) of the
database and of the code, the rows per table, the audit chain's length, head
hash and whether it verified, and the SHA-256 of every other file. ``restore``
refuses a backup whose files do not match it, refuses a database that already
holds data (unless ``--force``), restores the database and the files, and then
checks the counts, the attachments' own hashes and the audit chain.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
UPLOADS = "uploads"
CHUNK = 1024 * 1024
SEARCH_NOTE = "not included: derived from the database; run `flask --app venture search rebuild` after restoring"

# libpq environment variables for the query parameters a DATABASE_URL may carry.
_PG_QUERY_ENV = {
    "host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "sslcrl": "PGSSLCRL", "passfile": "PGPASSFILE",
    "service": "PGSERVICE", "options": "PGOPTIONS", "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT", "target_session_attrs": "PGTARGETSESSIONATTRS",
    "gssencmode": "PGGSSENCMODE", "channel_binding": "PGCHANNELBINDING",
}


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why."""


@dataclass
class Snapshot:
    """What the database snapshot holds, as written into the manifest."""

    tables: dict[str, int]
    revision: list[str]
    audit: dict[str, Any]
    stored_names: list[str] = field(default_factory=list)


@dataclass
class RestoreReport:
    ok: bool
    lines: list[str]


# Helpers ---------------------------------------------------------------------------------

def _tables() -> list[Any]:
    from venture.models import metadata

    return list(metadata.sorted_tables)


def code_revisions(engine: Engine) -> list[str]:
    from alembic.script import ScriptDirectory

    from venture.migrate import alembic_config

    return sorted(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_hashed(source: Path, target: Path) -> str:
    """Copy a file, fsync it, and return the SHA-256 of what was written."""
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as reading, target.open("wb") as writing:
        while chunk := reading.read(CHUNK):
            digest.update(chunk)
            writing.write(chunk)
        writing.flush()
        os.fsync(writing.fileno())
    return digest.hexdigest()


def _inspect(connection: Connection) -> Snapshot:
    """Counts, schema revision, audit head and stored file names, read through
    ``connection`` (inside the snapshot's transaction)."""
    from venture.audit.services import verify
    from venture.projects.models import ReportFile
    from venture.proposals.models import Attachment

    present = set(inspect(connection).get_table_names())
    tables = {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
              for table in _tables() if table.name in present}
    try:
        revision = sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception:  # noqa: BLE001 - a database never migrated has no revision
        revision = []
    session = Session(bind=connection)
    try:
        result = verify(session)
        stored = list(session.scalars(select(Attachment.stored_name)))
        if ReportFile.__tablename__ in present:
            stored += session.scalars(select(ReportFile.stored_name))
    finally:
        session.close()
    audit = {"entries": tables.get("audit_events", 0), "verified": result.checked, "head_seq": result.checked,
             "head_hash": result.head, "intact": result.ok, "first_broken": result.first_broken}
    return Snapshot(tables, revision, audit, stored)


def pg_environment(url: URL) -> dict[str, str]:
    """The environment that points libpq tools (pg_dump, pg_restore) at the
    database of ``url``: nothing goes through a shell or onto a command line
    other processes can read (the password travels in PGPASSWORD)."""
    env = dict(os.environ)
    for key, name in (("host", "PGHOST"), ("port", "PGPORT"), ("username", "PGUSER"),
                      ("password", "PGPASSWORD"), ("database", "PGDATABASE")):
        value = getattr(url, key)
        if value not in (None, ""):
            env[name] = str(value)
    for key, value in url.query.items():
        name = _PG_QUERY_ENV.get(key)
        if name is None:
            raise BackupError(f"DATABASE_URL option {key!r} is not understood by the backup tools")
        env[name] = value if isinstance(value, str) else value[-1]
    return env


def _conninfo_dbname(name: str) -> str:
    """A libpq connection string naming only the database (so a name holding
    '=' or a URI prefix is never read as connection options)."""
    return "dbname='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _tool(name: str) -> str:
    configured = current_app.config.get(f"{name.upper()}_BIN")
    found = configured or shutil.which(name) or f"/usr/bin/{name}"
    if not Path(found).exists():
        raise BackupError(f"{name} is not installed (looked for {found})")
    return found


def _run(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


# Create ----------------------------------------------------------------------------------

def _snapshot_sqlite(engine: Engine, folder: Path) -> Snapshot:
    target = folder / SQLITE_FILE
    raw = engine.raw_connection()
    try:
        copy = sqlite3.connect(target)
        try:
            # pages=-1: every page in one step under one read lock, a single
            # consistent moment; writers carry on meanwhile (WAL).
            raw.driver_connection.backup(copy)  # type: ignore[union-attr]
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    finally:
        raw.close()
    snapshot_engine = create_engine(f"sqlite:///{target}")
    try:
        with snapshot_engine.connect() as connection:
            return _inspect(connection)
    finally:
        snapshot_engine.dispose()


def _snapshot_postgresql(engine: Engine, folder: Path) -> Snapshot:
    env = pg_environment(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        connection.execute(text("SET TRANSACTION READ ONLY"))
        snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        _run([_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot_id}",
              f"--file={folder / PG_FILE}"], env)
        snapshot = _inspect(connection)
        connection.rollback()
    return snapshot


def create(app: Flask, target: Path, echo: Callable[[str], Any] = print) -> dict[str, Any]:
    """Write a backup into ``target`` (a new or empty directory) and return its manifest."""
    from venture.extensions import db

    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed at the end: a directory named
    # like the target is always a finished backup.
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        engine = db.engine
        assert engine is not None
        backend = engine.dialect.name
        created_at = datetime.now(UTC)
        if backend == "sqlite":
            snapshot = _snapshot_sqlite(engine, work)
            database_file = SQLITE_FILE
        elif backend == "postgresql":
            snapshot = _snapshot_postgresql(engine, work)
            database_file = PG_FILE
        else:
            raise BackupError(f"backups of {backend} databases are not supported")
        files = {database_file: sha256_of(work / database_file)}
        echo(f"database snapshot: {sum(snapshot.tables.values())} rows in {len(snapshot.tables)} tables")

        uploads = Path(app.config["UPLOAD_FOLDER"])
        if uploads.is_dir():
            for path in sorted(uploads.rglob("*")):
                if not path.is_file() or path.is_symlink() or path.name.startswith("."):
                    continue  # half-written uploads (.upload-*) are not part of anything
                relative = path.relative_to(uploads).as_posix()
                files[f"{UPLOADS}/{relative}"] = _copy_hashed(path, work / UPLOADS / relative)
        copied = {name.rsplit("/", 1)[-1] for name in files if name.startswith(UPLOADS + "/")}
        missing = sorted(set(snapshot.stored_names) - copied)
        echo(f"uploads: {len(copied)} files")
        if missing:
            echo(f"WARNING: {len(missing)} stored files (attachments, report files) named in the database are not on disk")

        manifest = {
            "format": FORMAT,
            "application": "venture",
            "created_at": created_at.isoformat(timespec="seconds"),
            "database": {"backend": backend, "file": database_file},
            "schema_revision": snapshot.revision,
            "code_revision": code_revisions(engine),
            "tables": snapshot.tables,
            "audit": snapshot.audit,
            "missing_uploads": missing,
            "search_index": SEARCH_NOTE,
            "files": files,
        }
        _write_private(work / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        for path in work.rglob("*"):
            path.chmod(0o700 if path.is_dir() else 0o600)  # a backup holds personal data
        work.chmod(0o700)
        if target.exists():
            target.rmdir()
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _write_private(path: Path, content: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


# Restore ---------------------------------------------------------------------------------

def check_backup(source: Path) -> dict[str, Any]:
    """The manifest, once every file it lists is present with its hash;
    BackupError naming the files that are not."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{source} is not a backup (no {MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise BackupError(f"{MANIFEST} is not readable: {error}") from None
    if manifest.get("format") != FORMAT or manifest.get("application") != "venture":
        raise BackupError("not a Venture backup of a format this version can restore")
    problems = []
    root = source.resolve()
    for name, expected in sorted(manifest.get("files", {}).items()):
        path = (root / name).resolve()
        if root not in path.parents:
            problems.append(f"{name}: outside the backup")
        elif not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_of(path) != expected:
            problems.append(f"{name}: content differs from the manifest")
    database_file = manifest.get("database", {}).get("file")
    if database_file not in manifest.get("files", {}):
        problems.append("the manifest names no database file")
    if problems:
        raise BackupError("the backup does not match its manifest; nothing was restored:\n  "
                          + "\n  ".join(problems))
    return manifest


def database_is_empty(engine: Engine) -> bool:
    """No table of ours holds a row (a database that was only migrated counts as empty)."""
    present = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        for table in _tables():
            if table.name in present and connection.execute(select(1).select_from(table).limit(1)).first():
                return False
    return True


def _restore_sqlite(engine: Engine, source: Path) -> None:
    target = engine.url.database
    if not target or target == ":memory:":
        raise BackupError("restore needs a SQLite database file")
    engine.dispose()
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        live = sqlite3.connect(target, timeout=30)
        try:
            backup.backup(live)
            live.execute("PRAGMA journal_mode=WAL")
        finally:
            live.close()
    finally:
        backup.close()


def _restore_postgresql(engine: Engine, source: Path) -> None:
    env = pg_environment(engine.url)
    engine.dispose()  # our own connections must not hold locks on what is dropped
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={_conninfo_dbname(engine.url.database or '')}",
          str(source)], env)


def _restore_uploads(app: Flask, source: Path, manifest: dict[str, Any]) -> int:
    uploads = Path(app.config["UPLOAD_FOLDER"])
    count = 0
    for name, expected in sorted(manifest["files"].items()):
        if not name.startswith(UPLOADS + "/"):
            continue
        relative = name[len(UPLOADS) + 1:]
        target = uploads / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        os.close(fd)
        try:
            written = _copy_hashed(source / name, Path(temporary))
            if written != expected:
                raise BackupError(f"{name} changed while it was being restored")
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        count += 1
    return count


def _check_restored(engine: Engine, manifest: dict[str, Any]) -> tuple[bool, list[str]]:
    from venture.audit.services import verify
    from venture.proposals import storage
    from venture.proposals.models import Attachment

    lines: list[str] = []
    ok = True
    with engine.connect() as connection:
        snapshot = _inspect(connection)
    differing = {name: (count, snapshot.tables.get(name)) for name, count in manifest["tables"].items()
                 if snapshot.tables.get(name) != count}
    if differing:
        ok = False
        lines.append("row counts differ from the manifest: " + ", ".join(
            f"{name} {found} (expected {count})" for name, (count, found) in sorted(differing.items())))
    else:
        lines.append(f"row counts match the manifest ({sum(snapshot.tables.values())} rows)")

    session = Session(bind=engine)
    try:
        bad_files = []
        attachments = session.execute(select(Attachment.stored_name, Attachment.sha256)).all()
        for stored_name, expected in attachments:
            try:
                path = storage.path_of(stored_name)
                if not path.is_file() or sha256_of(path) != expected:
                    bad_files.append(stored_name)
            except ValueError:
                bad_files.append(stored_name)
        result = verify(session)
        records = _verify_records(session) if result.ok else None
    finally:
        session.close()
    if bad_files:
        ok = False
        lines.append(f"{len(bad_files)} of {len(attachments)} attachment files are missing or altered")
    else:
        lines.append(f"attachments: all {len(attachments)} files present and matching their SHA-256")
    if result.ok:
        lines.append(f"audit chain intact: {result.checked} entries, head {result.head}")
        if result.head != manifest["audit"]["head_hash"]:
            ok = False
            lines.append(f"audit head differs from the backup's ({manifest['audit']['head_hash']})")
    else:
        ok = False
        lines.append(f"audit chain BROKEN at entry {result.first_broken}: {result.reason} "
                     f"({result.checked} entries before it are intact)")
    if records is not None:
        if records.ok:
            lines.append(f"stored records match the chain: {records.checked} rows checked")
        else:
            ok = False
            lines.append(f"stored record MISMATCH in {records.table} row {records.row_id}: {records.what}")
    return ok, lines


def _verify_records(session: Session) -> Any:
    """The stored rows against the chain, as `audit verify` checks them."""
    from venture.audit.records import verify_records

    return verify_records(session)


def restore(app: Flask, source: Path, force: bool = False,
            echo: Callable[[str], Any] = print) -> RestoreReport:
    from venture.extensions import db

    source = source.resolve()
    manifest = check_backup(source)
    echo(f"backup of {manifest['created_at']}: all {len(manifest['files'])} files match the manifest")
    engine = db.engine
    assert engine is not None
    backend = engine.dialect.name
    if manifest["database"]["backend"] != backend:
        raise BackupError(f"this is a backup of a {manifest['database']['backend']} database; "
                          f"DATABASE_URL names a {backend} one")
    if not database_is_empty(engine):
        if not force:
            raise BackupError("the database already holds data; restore into an empty database "
                              "(or pass --force to replace everything in it)")
        echo("the database holds data; --force: it is replaced")
    database_file = source / manifest["database"]["file"]
    if backend == "sqlite":
        _restore_sqlite(engine, database_file)
    else:
        _restore_postgresql(engine, database_file)
    engine.dispose()
    echo("database restored")
    echo(f"uploads: {_restore_uploads(app, source, manifest)} files restored")
    ok, lines = _check_restored(engine, manifest)
    for line in lines:
        echo(line)
    return RestoreReport(ok, lines)


# Commands ------------------------------------------------------------------------------------

backup_cli = AppGroup("backup", help="Backups of the database and the uploaded files.")


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_create(directory: Path) -> None:
    """Back up the database (a consistent snapshot, taken while the site
    serves) and the uploaded files into DIRECTORY (new or empty)."""
    try:
        manifest = create(current_app._get_current_object(), directory, echo=click.echo)  # type: ignore[attr-defined]
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    audit = manifest["audit"]
    click.echo(f"audit chain head: entry {audit['head_seq']}, {audit['head_hash']}"
               + ("" if audit["intact"] else f" (BROKEN at entry {audit['first_broken']})"))
    click.echo(f"search index: {SEARCH_NOTE}")
    click.echo(f"backup written to {directory.resolve()}")


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the data of a database that is not empty.")
def backup_restore(directory: Path, force: bool) -> None:
    """Restore a backup made by `backup create` into an empty database (stop
    the site first), then check it and the audit chain."""
    from venture.extensions import db

    try:
        report = restore(current_app._get_current_object(), directory, force=force,  # type: ignore[attr-defined]
                         echo=click.echo)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    engine = db.engine
    assert engine is not None
    with engine.connect() as connection:
        revision = sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    if revision != code_revisions(engine):
        click.echo("The backup's schema is not this version's: run `flask --app venture db upgrade`.")
    click.echo("Now run `flask --app venture search rebuild`: the search index is not part of a backup.")
    if not report.ok:
        raise click.ClickException("the restored data did not pass the checks above")
