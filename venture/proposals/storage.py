"""Uploaded files on disk: outside static/, under random names, written
atomically so a crash never leaves half a file under a real name. Every
path that serves a file reads it through :func:`read_cleaned`."""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import current_app

from venture.proposals import cleaning, files


def _root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def path_of(stored_name: str) -> Path:
    if not stored_name.isalnum():
        raise ValueError("not a stored name")
    return _root() / stored_name[:2] / stored_name


def store(data: bytes) -> str:
    name = secrets.token_hex(16)
    target = path_of(name)
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
    return name


def read(stored_name: str) -> bytes:
    return path_of(stored_name).read_bytes()


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
