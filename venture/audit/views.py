"""The transparency page: the signed checkpoints of the audit chain and the
public key that checks them, for anyone (no sign-in, the same for everyone)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request

from venture.audit import checkpoints, signing
from venture.extensions import db
from venture.web import MAX_ID

bp = Blueprint("transparency", __name__)
PAGE_SIZE = 50


def _before() -> int | None:
    raw = request.args.get("before", "")
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 < value <= MAX_ID else None


@bp.route("/transparency")
def transparency() -> Any:
    before = _before()
    rows = checkpoints.page(db.session, before, PAGE_SIZE + 1)
    older = rows[PAGE_SIZE - 1].sequence if len(rows) > PAGE_SIZE else None
    raw = signing.raw_public_key(signing.signing_key())
    return render_template("transparency/index.html", rows=rows[:PAGE_SIZE], older=older, before=before,
                           public_key=signing.public_key_b64(), key_fingerprint=signing.key_fingerprint(raw),
                           time_text=checkpoints.time_text, prefix=signing.PREFIX)


@bp.route("/transparency/public-key.pem")
def public_key() -> Any:
    return Response(signing.public_key_pem(), mimetype="application/x-pem-file",
                    headers={"Content-Disposition": "attachment; filename=venture-audit-public-key.pem",
                             "Cache-Control": "public, max-age=300"})
