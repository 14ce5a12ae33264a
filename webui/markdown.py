"""Library pages: Markdown written by staff, shown as HTML that cannot run or load anything.

markdown-it-py renders CommonMark with raw HTML off (a `<script>` stays text); nh3 (ammonia)
then keeps only the tags and attributes a page needs and links to http(s) and mailto, so an
`onerror=` or a `javascript:` link never reaches a browser. A partner's page is rendered here
from its Markdown: HTML from another node is never trusted.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "a", "ul", "ol", "li",
    "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _demoted(html: str) -> str:
    """Headings start at h2 (the page's title is its h1)."""
    for level in (5, 4, 3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{min(level + 1, 4)}>")
        html = html.replace(f"</h{level}>", f"</h{min(level + 1, 4)}>")
    return html


def render(text: str) -> Markup:
    """Safe HTML for a page's Markdown."""
    html = _demoted(_renderer.render(text))
    return Markup(  # noqa: S704 — sanitised by nh3 just here
        nh3.clean(
            html,
            tags=TAGS,
            attributes=ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )
