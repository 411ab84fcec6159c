"""The site's signing key for audit checkpoints (Ed25519, with ``cryptography``).

The private key is a PEM (PKCS #8) file outside the database, named by
``AUDIT_SIGNING_KEY_FILE`` (default ``instance/audit-signing.key``), readable
by the site's user only. Someone who can change the database but cannot read
this file cannot sign a checkpoint. Production refuses to start without it
(``venture._check_production``); create it once with

    python -m venture.audit.signing

and keep a copy off the machine, apart from the database backups. In
development and tests it is created when first needed.

A checkpoint signs the UTF-8 bytes of ``venture-checkpoint:v1:{sequence}:{head}:{time}``
(``message``): that exact text is what an outsider's verifier rebuilds.
"""
from __future__ import annotations

import base64
import hashlib
import os
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, current_app

ALGORITHM = "Ed25519"
PREFIX = "venture-checkpoint:v1"


class SigningKeyMissing(RuntimeError):
    """The key file is absent or is not an Ed25519 private key."""


def message(sequence: int, head: str, time: str) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return f"{PREFIX}:{int(sequence)}:{head}:{time}".encode()


def key_path(app: Flask | None = None) -> Path:
    app = app or current_app
    configured = app.config.get("AUDIT_SIGNING_KEY_FILE") or ""
    return Path(configured) if configured else Path(app.instance_path) / "audit-signing.key"


def create_key(path: Path) -> Ed25519PrivateKey:
    """Write a new key to ``path`` (owner-only permissions); never overwrites one."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SigningKeyMissing(f"the audit signing key {path} cannot be read: {error.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise SigningKeyMissing(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing(f"{path} holds a key that is not Ed25519")
    return key


def production_problem(app: Flask) -> str | None:
    """Why production cannot use its key file, or None when it can."""
    path = key_path(app)
    try:
        load_key(path)
    except SigningKeyMissing as error:
        return (f"production needs the audit signing key ({error}); create it once with "
                f"`python -m venture.audit.signing` and keep a copy off the machine")
    if path.stat().st_mode & 0o077:
        return f"the audit signing key {path} must be readable by the site's user only (chmod 600)"
    return None


def signing_key(app: Flask | None = None) -> Ed25519PrivateKey:
    """The site's key, loaded once per process; outside production it is created when missing."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    path = key_path(app)
    cached = app.extensions.get("venture.audit_key")
    if cached is not None and cached[0] == path:
        return cached[1]
    if not path.exists() and app.config.get("ENV") != "production":
        try:
            create_key(path)
            app.logger.info("created the audit signing key %s", path)
        except FileExistsError:  # another worker made it first
            pass
    key = load_key(path)
    app.extensions["venture.audit_key"] = (path, key)
    return key


def raw_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(key: Ed25519PrivateKey | None = None) -> str:
    return base64.b64encode(raw_public_key(key or signing_key())).decode("ascii")


def public_key_b64_of(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return base64.b64encode(raw_public_key(key)).decode("ascii")


def public_key_pem(key: Ed25519PrivateKey | None = None) -> str:
    public = (key or signing_key()).public_key()
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def key_fingerprint(raw: bytes) -> str:
    """SHA-256 of the raw public key, for reading aloud or comparing by eye."""
    return hashlib.sha256(raw).hexdigest()


def sign(sequence: int, head: str, time: str, key: Ed25519PrivateKey | None = None) -> str:
    return base64.b64encode((key or signing_key()).sign(message(sequence, head, time))).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """Raises ValueError when the text is not a base64 32-byte Ed25519 public key."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise ValueError("not base64") from None
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def signature_holds(public: Ed25519PublicKey, sequence: int, head: str, time: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        public.verify(raw, message(sequence, head, time))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """``python -m venture.audit.signing [PATH]``: create the key file once (no app needed)."""
    from flask import Config

    from venture.core.site import ROOT

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(main.__doc__)
        return 0
    if args:
        path = Path(args[0])
    else:
        config = Config(str(ROOT))
        config.from_pyfile(str(ROOT / "config.py"))
        path = (Path(config["AUDIT_SIGNING_KEY_FILE"]) if config.get("AUDIT_SIGNING_KEY_FILE")
                else Path(config["INSTANCE_PATH"]) / "audit-signing.key")
    if path.exists():
        key = load_key(path)
        print(f"the audit signing key {path} exists; public key {public_key_b64(key)}")
        return 0
    key = create_key(path)
    print(f"created the audit signing key {path} (keep a copy off this machine, apart from the backups)")
    print(f"public key (base64, raw 32 bytes): {public_key_b64(key)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
