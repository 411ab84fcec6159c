"""The one way user-written text becomes HTML: Markdown, then bleach with
one allow-list. Render when the text is written and store the result; only
this module's output is ever marked safe."""
from __future__ import annotations

import re
from functools import partial

import bleach
import markdown
from bleach.linkifier import LinkifyFilter
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "th": ["scope"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _link_rel(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = "nofollow ugc noopener"
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_link_rel], skip_tags={"pre", "code"})],
)


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML (a string to store). Raw HTML in the
    source is escaped by Markdown's own rules before bleach sees it."""
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    return _cleaner.clean(_HEADING.sub(_lower_heading, html))


# User text sits under the page's own h1 and h2, so its headings start at h3.
_HEADING = re.compile(r"<(/?)h([1-6])([ >])")


def _lower_heading(match: re.Match[str]) -> str:
    return f"<{match.group(1)}h{min(6, int(match.group(2)) + 2)}{match.group(3)}"


def safe(html_from_render: str) -> Markup:
    """Mark stored output of ``render_markdown`` safe for templates."""
    return Markup(html_from_render)
