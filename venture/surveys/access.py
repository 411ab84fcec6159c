"""Who may do what with a project's surveys, registered in the one access
module (``venture.permissions``) like every other rule."""
from __future__ import annotations

from typing import Any

from venture.permissions import RULES, rule, signed_in


@rule("survey:manage")
def _survey_manage(user: Any, project: Any) -> bool:
    """Make, approve, open and close surveys, enter paper answers, moderate
    text, read contact details, feed an evaluation: the project's organizers."""
    return RULES["project:manage"](user, project)


@rule("survey:propose")
def _survey_propose(user: Any, project: Any) -> bool:
    """The group drafts a survey for its project; an organizer approves it before it opens."""
    return RULES["project:report"](user, project)


@rule("survey:view")
def _survey_view(user: Any, survey: Any) -> bool:
    """A survey's questions and full results (text awaiting moderation included, contact details not)."""
    return RULES["project:view"](user, survey.project)


@rule("survey:contacts")
def _survey_contacts(user: Any, survey: Any) -> bool:
    """Contact details people chose to leave: the organizers only, never the group."""
    return signed_in(user) and RULES["project:manage"](user, survey.project)
