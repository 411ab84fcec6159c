"""Uploaded files: in a local folder (outside static/) or an S3-compatible
object store, under random names, written so a crash never leaves half a
file under a real name. Every path that serves a file reads it through :func:`read_cleaned`."""
from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

from venture.proposals import cleaning, files


class FileStore(Protocol):
    """Where uploaded bytes live, under the random names :func:`store` gives."""

    def write(self, stored_name: str, data: bytes) -> None: ...
    def read(self, stored_name: str) -> bytes: ...  # OSError when missing
    def names(self) -> Iterator[str]: ...


class LocalStore:
    """A folder (``UPLOAD_FOLDER``), possibly a volume every server mounts:
    each file is written under a temporary name, synced, then renamed, so no
    reader on any server ever sees half a file under a real name."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_of(self, stored_name: str) -> Path:
        return self.root / stored_name[:2] / stored_name

    def write(self, stored_name: str, data: bytes) -> None:
        target = self.path_of(stored_name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self, stored_name: str) -> bytes:
        return self.path_of(stored_name).read_bytes()

    def names(self) -> Iterator[str]:
        if self.root.is_dir():
            for path in sorted(self.root.glob("??/*")):
                if path.is_file() and path.name.isalnum():
                    yield path.name


class S3Store:
    """An S3-compatible object store (MinIO, Ceph, a cloud's) through boto3.
    An object appears whole or not at all, so every server may write."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None, **client_options: Any) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix
        self.client = client or boto3.client("s3", **{k: v for k, v in client_options.items() if v})

    def write(self, stored_name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + stored_name, Body=data)

    def read(self, stored_name: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + stored_name)
        except self.client.exceptions.NoSuchKey as error:
            raise FileNotFoundError(stored_name) from error
        return answer["Body"].read()

    def names(self) -> Iterator[str]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix):]
                if name.isalnum():
                    yield name


def store_from_config(config: Any) -> FileStore:
    if config.get("STORAGE_BACKEND", "local") == "s3":
        return S3Store(config["S3_BUCKET"], config.get("S3_PREFIX", ""),
                       endpoint_url=config.get("S3_ENDPOINT_URL"), region_name=config.get("S3_REGION"))
    return LocalStore(config["UPLOAD_FOLDER"])


def current_store() -> FileStore:
    extensions = current_app.extensions
    if "venture.files" not in extensions:
        extensions["venture.files"] = store_from_config(current_app.config)
    return extensions["venture.files"]


def _checked(stored_name: str) -> str:
    if not stored_name.isalnum():
        raise ValueError("not a stored name")
    return stored_name


def path_of(stored_name: str) -> Path:
    """The file's path in the local upload folder (backups and the audit's
    file check read the local folder)."""
    return LocalStore(current_app.config["UPLOAD_FOLDER"]).path_of(_checked(stored_name))


def store(data: bytes) -> str:
    name = secrets.token_hex(16)
    current_store().write(name, data)
    return name


def read(stored_name: str) -> bytes:
    return current_store().read(_checked(stored_name))


def copy(source: FileStore, target: FileStore) -> int:
    """Copy every stored file from one store to another; return how many."""
    count = 0
    for name in source.names():
        target.write(name, source.read(name))
        count += 1
    return count


def read_cleaned(stored_name: str, kind: str, cleaner_version: int = 0) -> bytes:
    """A stored file as it may be served: cleaned.

    Bytes stored by the current cleaner are served as they are; a file stored
    before uploads were cleaned, or by an older cleaner (``cleaner_version``
    below :data:`~venture.proposals.cleaning.CLEANER_VERSION`), is cleaned
    again now. Raises OSError when the file is missing, and
    :class:`~venture.proposals.files.UploadRejected` when it cannot be
    cleaned: it is then not served at all, never served as it came.
    """
    data = read(stored_name)
    if cleaner_version >= cleaning.CLEANER_VERSION:
        return data
    return cleaning.clean(files.FileKind(kind), data)
