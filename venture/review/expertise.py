"""The expertise areas an expert can claim and a panel draw can ask for."""
from __future__ import annotations

from venture.core.l10n import lazy_gettext as _l

FINANCE = "finance"

# Key -> label. Keys are stored in profiles and draw records; never rename one.
AREAS = {
    "social_work": _l("Social work"),
    FINANCE: _l("Finance and budgeting"),
    "law": _l("Law"),
    "community_governance": _l("Community governance"),
    "elderly_care": _l("Elderly care"),
    "disability": _l("Disability services"),
    "children_youth": _l("Children and youth"),
    "health": _l("Health"),
    "education": _l("Education"),
    "environment": _l("Environment"),
    "culture": _l("Culture and sport"),
    "project_management": _l("Project management and evaluation"),
}


def label(key: str) -> str:
    return str(AREAS.get(key, key))


def choices() -> list[tuple[str, str]]:
    return [(key, str(text)) for key, text in AREAS.items()]
