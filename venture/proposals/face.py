"""The face of a submitted version that everyone but its group and its
organizers sees: reviewers, residents, a stranger logged out, a crawler.

One function makes it, :func:`public_face`, and every surface shows it: the
reviewer's blind view, the public proposal page (body, ``<title>``, meta and
Open Graph tags), listings, the Atom feed, the search index and its
snippets, comments, and the names of files. So the public never reads more
of a proposal than its reviewers do.

* While review is blind (``blind=True``, until the public notice), every
  trace of the group is redacted (:func:`venture.proposals.leaks.redact`):
  the identity it had when it submitted, frozen with the version
  (:func:`frozen_identity`), together with the one it has now, so that
  renaming the group or a member leaving reveals nothing.
* In every phase, contact data is redacted: phone numbers, e-mail
  addresses, ID-card numbers, messaging accounts and the contact person.
* Files are given neutral names: "附件1.pdf" / "Attachment 1.pdf".

A face depends only on the version's content (its fingerprint), the
identity and the phase, so it is kept in a small in-process cache: a public
page pays for redaction once per version, not once per view.
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.proposals import leaks

CACHE_SIZE = 4096
IDENTITY_FIELDS = ("group_names", "member_names", "contact_names", "emails", "phones", "credit_codes")


# Identity ------------------------------------------------------------------------------------

def identity_of(group: Any) -> leaks.Identity:
    """Who the group is now: its names (current, former, other, and those
    its description gives), its members' and contact person's names and
    addresses, its phone number and credit code."""
    members = [(m.user.display_name, m.user.email) for m in group.memberships if not m.user.is_deleted]
    return _identity(group.name, list(group.former_names or []), list(group.other_names or []),
                     group.description or "", group.contact_name, group.contact_email, group.contact_phone,
                     group.credit_code, members)


def identities_of(session: Session, group_ids: Iterable[int]) -> dict[int, leaks.Identity]:
    """``identity_of`` for many groups in two queries, from plain rows (a
    listing of many proposals)."""
    from venture.accounts.models import User
    from venture.groups.models import Group, GroupMembership

    ids = set(group_ids)
    if not ids:
        return {}
    members: dict[int, list[tuple[str, str | None]]] = {group_id: [] for group_id in ids}
    for group_id, name, email in session.execute(
            select(GroupMembership.group_id, User.display_name, User.email)
            .join(User, User.id == GroupMembership.user_id)
            .where(GroupMembership.group_id.in_(ids), User.deleted_at.is_(None)).order_by(GroupMembership.id)):
        members[group_id].append((name, email))
    return {row.id: _identity(row.name, list(row.former_names or []), list(row.other_names or []),
                              row.description or "", row.contact_name, row.contact_email, row.contact_phone,
                              row.credit_code, members[row.id])
            for row in session.execute(select(Group.id, Group.name, Group.former_names, Group.other_names,
                                              Group.description, Group.contact_name, Group.contact_email,
                                              Group.contact_phone, Group.credit_code).where(Group.id.in_(ids)))}


def _identity(name: str, former: list[str], other: list[str], description: str, contact_name: str,
              contact_email: str | None, contact_phone: str, credit_code: str | None,
              members: list[tuple[str, str | None]]) -> leaks.Identity:
    return leaks.Identity(
        group_names=tuple(n for n in (name, *former, *other, *leaks.names_in_description(description)) if n),
        member_names=tuple(member for member, _email in members if member) + ((contact_name,) if contact_name else ()),
        emails=tuple(e for e in [contact_email, *(email for _member, email in members)] if e),
        phones=(contact_phone,) if contact_phone else (),
        credit_codes=(credit_code,) if credit_code else (),
        contact_names=(contact_name,) if contact_name else (),
    )


def frozen_identity(group: Any) -> dict[str, list[str]]:
    """The identity to keep with a version at submission (JSON)."""
    identity = identity_of(group)
    return {name: list(getattr(identity, name)) for name in IDENTITY_FIELDS}


def from_json(data: Any) -> leaks.Identity:
    data = data if isinstance(data, dict) else {}

    def strings(name: str) -> tuple[str, ...]:
        values = data.get(name) or []
        return tuple(str(value) for value in values if value) if isinstance(values, list) else ()

    return leaks.Identity(group_names=strings("group_names"), member_names=strings("member_names"),
                          emails=strings("emails"), phones=strings("phones"), credit_codes=strings("credit_codes"),
                          contact_names=strings("contact_names"))


def version_identity(version: Any, current: leaks.Identity) -> leaks.Identity:
    """What to hide for a version: its frozen identity and the group's current one."""
    return leaks.union(from_json(getattr(version, "identity", None)), current)


# The face ------------------------------------------------------------------------------------

_cache: OrderedDict[tuple[str, leaks.Identity, bool], dict[str, Any]] = OrderedDict()
_lock = threading.Lock()


def public_face(version: Any, identity: leaks.Identity, *, blind: bool) -> dict[str, Any]:
    """The version's content (same shape as ``ProposalVersion.content``) as
    everyone outside the group and its organizers may read it. ``identity``
    is :func:`version_identity`; ``blind`` is true until the public notice
    (always, for reviewers). Each attachment gets its ``position`` (1, 2 ...)
    for its neutral name; its own file name is left out.

    The result is shared (cached): do not change it."""
    key = (str(getattr(version, "fingerprint", "") or id(version)), identity, blind)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    face = face_of_content(version.content or {}, identity, blind=blind)
    with _lock:
        _cache[key] = face
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return face


def face_of_content(content: dict[str, Any], identity: leaks.Identity, *, blind: bool) -> dict[str, Any]:
    """:func:`public_face` of a content not (yet) frozen: the applicant's preview."""
    hidden = identity if blind else leaks.contact_only(identity)
    face = copy.deepcopy(content)

    def clean(value: Any) -> str:
        return leaks.redact(value, hidden) if isinstance(value, str) else ""

    for key in ("title", "summary"):
        face[key] = clean(face.get(key) or "")
    for section in face.get("sections", []):
        section["title"] = clean(section.get("title") or "")
        section["text"] = clean(section.get("text") or "")
    for line in face.get("budget", []):
        line["item"] = clean(line.get("item") or "")
    attachments = []
    for position, item in enumerate(face.get("attachments", []), start=1):
        attachments.append({"id": item.get("id"), "slot": item.get("slot"), "kind": item.get("kind"),
                            "size": item.get("size"), "position": position})
    face["attachments"] = attachments
    return face


def clear_cache() -> None:
    """Forget every cached face and file verdict (a new app may sit on another database,
    where the same fingerprint names another proposal's row)."""
    with _lock:
        _cache.clear()
        _file_cache.clear()


def redact_text(text: str, identity: leaks.Identity, *, blind: bool) -> str:
    """Any other text shown with a proposal (a comment, a name), as its face is."""
    return leaks.redact(text, identity if blind else leaks.contact_only(identity))


def redact_markup(markup: str, identity: leaks.Identity, *, blind: bool) -> str:
    return leaks.redact_html(markup, identity if blind else leaks.contact_only(identity))


# Files -----------------------------------------------------------------------------------------

EXTENSION_OF_KIND = {"pdf": "pdf", "jpeg": "jpg", "png": "png", "xlsx": "xlsx", "docx": "docx"}


def attachment_name(position: int, kind: str | None) -> str:
    """The neutral name a file is shown and served under: 附件1.pdf, Attachment 1.pdf."""
    from venture.core.l10n import gettext as _

    extension = EXTENSION_OF_KIND.get(str(kind or ""), "")
    name = _("Attachment %(n)d", n=position)
    return f"{name}.{extension}" if extension else name


def attachment_position(version: Any, attachment_id: Any) -> int | None:
    """Where an attachment stands in a version's list (1, 2 ...), or None."""
    for position, item in enumerate((version.content or {}).get("attachments", []), start=1):
        if str(item.get("id")) == str(attachment_id):
            return position
    return None


_file_cache: OrderedDict[tuple[str, leaks.Identity, bool], bool] = OrderedDict()
FILE_CACHE_SIZE = 1024


def file_may_identify(attachment: Any, identity: leaks.Identity, *, blind: bool) -> bool:
    """True when a file, cleaned of its document properties as it would be
    served, still says in its text or properties what the face hides (the
    group while blind, contact data always): it is then not served to the
    public. A file that cannot be read is treated as identifying."""
    from venture.proposals import files, storage

    key = (str(attachment.sha256), identity, blind)
    with _lock:
        if key in _file_cache:
            _file_cache.move_to_end(key)
            return _file_cache[key]
    hidden = identity if blind else leaks.contact_only(identity)
    try:
        kind = files.FileKind(attachment.kind)
        data = storage.read_cleaned(attachment.stored_name, attachment.kind, attachment.cleaner_version)
        texts = {"text": files.extract_text(kind, data),
                 "metadata": "\n".join(files.extract_metadata(kind, data).values())}
        found = bool(leaks.find_leaks(texts, hidden))
    except Exception:  # noqa: BLE001 - fail closed: a file we cannot check is not shown
        found = True
    with _lock:
        _file_cache[key] = found
        while len(_file_cache) > FILE_CACHE_SIZE:
            _file_cache.popitem(last=False)
    return found
