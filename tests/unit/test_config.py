"""Configuration: safe defaults, a generated secret, production refusals."""
from __future__ import annotations

import pytest

from venture import ConfigurationError, create_app

STRONG = "f3a9c1e07b5d42a88e6f1c2d3b4a59687d0e1f2a3b4c5d6e"


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    config = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": None, "DATABASE_URL": "sqlite://"}
    first = create_app(config)
    second = create_app(config)
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 64


def test_defaults(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "MAIL_SMTP_HOST", "MAIL_BACKEND", "REDIS_URL", "VENTURE_ENV"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["DATABASE_URL"].startswith("sqlite:///")
    assert app.config["MAIL_BACKEND"] == "outbox"
    assert app.config["DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    assert app.config["DEFAULT_LOCALE"] == "zh_CN"
    assert not app.debug


def test_environment_variables_are_read(tmp_path, monkeypatch):
    import runpy
    from pathlib import Path

    import venture

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://venture@db.internal:5432/venture")
    monkeypatch.setenv("MAIL_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("DEFAULT_LOCALE", "en")
    monkeypatch.setenv("VENTURE_ENV", "production")
    settings = runpy.run_path(str(Path(venture.ROOT) / "config.py"))
    assert settings["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert settings["MAIL_BACKEND"] == "smtp"
    assert settings["DEFAULT_LOCALE"] == "en"
    assert settings["SESSION_COOKIE_SECURE"] is True, "production cookies are Secure by default"


@pytest.mark.parametrize("overrides,complaint", [
    ({"SECRET_KEY": None}, "SECRET_KEY"),
    ({"SECRET_KEY": "changeme"}, "SECRET_KEY"),
    ({"SECRET_KEY": "a" * 40}, "SECRET_KEY"),
    ({"SECRET_KEY": STRONG, "DEBUG": True}, "DEBUG"),
    ({"SECRET_KEY": STRONG, "STORAGE_BACKEND": "s3", "S3_BUCKET": ""}, "S3_BUCKET"),
    ({"SECRET_KEY": STRONG, "STORAGE_BACKEND": "nfs"}, "STORAGE_BACKEND"),
    ({"SECRET_KEY": STRONG, "BACKGROUND_WORK": "cron"}, "BACKGROUND_WORK"),
])
def test_production_refuses_to_start_unsafely(tmp_path, overrides, complaint):
    config = {"ENV": "production", "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://",
              "DEBUG": False, **overrides}
    with pytest.raises(ConfigurationError, match=complaint):
        create_app(config)
    assert not (tmp_path / "secret_key").exists(), "production never invents a secret"


def test_production_starts_with_a_real_secret(tmp_path):
    from venture.audit.signing import main

    assert main([str(tmp_path / "audit-signing.key")]) == 0
    app = create_app({"ENV": "production", "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://",
                      "SECRET_KEY": STRONG, "DEBUG": False})
    assert app.config["SECRET_KEY"] == STRONG


def test_production_refuses_to_start_without_its_audit_signing_key(tmp_path):
    """The key lives outside the database; production never invents one (a lost key must be noticed)."""
    from venture.audit.signing import create_key

    config = {"ENV": "production", "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://",
              "SECRET_KEY": STRONG, "DEBUG": False}
    with pytest.raises(ConfigurationError, match="audit signing key"):
        create_app(config)
    assert not (tmp_path / "audit-signing.key").exists()

    (tmp_path / "garbage.key").write_text("not a key")
    with pytest.raises(ConfigurationError, match="not an unencrypted PEM private key"):
        create_app({**config, "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "garbage.key")})

    loose = tmp_path / "loose.key"
    create_key(loose)
    loose.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        create_app({**config, "AUDIT_SIGNING_KEY_FILE": str(loose)})
    loose.chmod(0o600)
    assert create_app({**config, "AUDIT_SIGNING_KEY_FILE": str(loose)})


def test_the_key_command_makes_an_owner_only_ed25519_key_once(tmp_path, capsys):
    from venture.audit import signing

    path = tmp_path / "keys" / "audit.key"
    assert signing.main([str(path)]) == 0
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    first = path.read_bytes()
    public = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    assert signing.main([str(path)]) == 0, "a second run keeps the key"
    assert path.read_bytes() == first and public in capsys.readouterr().out
    key = signing.load_key(path)
    assert signing.public_key_b64(key) == public
    signature = signing.sign(7, "ab" * 32, "2026-06-30T08:15:00Z", key)
    assert signing.signature_holds(key.public_key(), 7, "ab" * 32, "2026-06-30T08:15:00Z", signature)
    assert not signing.signature_holds(key.public_key(), 8, "ab" * 32, "2026-06-30T08:15:00Z", signature)


def test_no_secret_constant_in_the_code():
    from pathlib import Path

    import venture

    for path in Path(venture.ROOT, "venture").rglob("*.py"):
        text = path.read_text()
        assert "SECRET_KEY = \"" not in text and "SECRET_KEY='" not in text, path


def test_rate_limits_are_counted_in_the_database_unless_redis_is_configured(tmp_path):
    from venture.audit.signing import main
    from venture.core.ratelimit import DatabaseStore, store_kind

    assert main([str(tmp_path / "audit-signing.key")]) == 0
    app = create_app({"ENV": "production", "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://",
                      "SECRET_KEY": STRONG, "DEBUG": False, "REDIS_URL": "", "RATE_LIMIT_STORE": ""})
    assert isinstance(app.extensions["venture.ratelimit"].store, DatabaseStore)
    assert store_kind({"REDIS_URL": "redis://127.0.0.1:6379/0"}) == "redis"
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        store_kind({"RATE_LIMIT_STORE": "redis"})
    with pytest.raises(ConfigurationError, match="RATE_LIMIT_STORE"):
        store_kind({"RATE_LIMIT_STORE": "memcached"})


def test_production_refuses_per_process_rate_limit_counters(tmp_path):
    from venture.audit.signing import main

    assert main([str(tmp_path / "audit-signing.key")]) == 0
    with pytest.raises(ConfigurationError, match="RATE_LIMIT_STORE=memory"):
        create_app({"ENV": "production", "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://",
                    "SECRET_KEY": STRONG, "DEBUG": False, "RATE_LIMIT_STORE": "memory"})


def test_gunicorn_refuses_several_workers_with_per_process_counters(tmp_path):
    """In any environment: 5 workers each counting for themselves let 5 times the limit through."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import venture

    root = Path(venture.ROOT)
    env = {**os.environ, "RATE_LIMIT_STORE": "memory", "WEB_CONCURRENCY": "5", "BIND": "127.0.0.1:0",
           "VENTURE_ENV": "development", "VENTURE_INSTANCE": str(tmp_path), "REDIS_URL": ""}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    started = subprocess.run([str(gunicorn), "--config", str(root / "gunicorn.conf.py"), "venture:create_app()"],
                             cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode != 0
    assert "5 workers with RATE_LIMIT_STORE=memory" in started.stderr
