"""Markdown to safe HTML.

Course pages are written by instructors, but text that students control is
rendered through the same function, so everything goes through the
nh3 allow-list: no scripts, no event handlers, no inline styles, and links get
``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import markdown
import nh3
from markdown.extensions.toc import slugify

_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},
    # No "style": the CSP forbids inline styles, so table alignment is dropped.
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
_URL_SCHEMES = {"http", "https", "mailto"}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Fenced code blocks carry ``class="language-python"``; no other class survives.
    if attribute == "class":
        return value if tag == "code" and value.startswith("language-") else None
    return value


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str
    toc: list[dict] = field(default_factory=list)  # [{"id", "name", "level", "children"}]


def render_markdown(source: str, *, id_prefix: str = "") -> RenderedMarkdown:
    """Render ``source``; ``id_prefix`` keeps heading ids unique when several documents
    share a page (the theory and practice parts of a week both have "Referências")."""
    md = markdown.Markdown(
        extensions=["fenced_code", "tables", "sane_lists", "toc", "attr_list"],
        extension_configs={
            "toc": {
                "permalink": False,
                "toc_depth": "2-3",
                "slugify": lambda value, separator: id_prefix + slugify(value, separator),
            }
        },
        output_format="html",
    )
    raw = md.convert(source)
    html = nh3.clean(
        raw,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return RenderedMarkdown(html=html, toc=list(getattr(md, "toc_tokens", [])))


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def render_plain(source: str) -> str:
    """Plain text with `code` spans and line breaks, as safe HTML.

    For machine-written text that quotes what students wrote (grader justifications cite
    error messages: ``AssertionError: esperado 2 * 3``): full Markdown would turn ``*``, ``_``
    and ``#`` into emphasis and headings, so only backticks and line breaks mean something.
    Escaped first, then through the same nh3 allow-list, narrowed to ``code`` and ``br``.
    """
    escaped = html.escape(source.strip(), quote=False)
    marked = _CODE_SPAN.sub(r"<code>\1</code>", escaped).replace("\n", "<br>")
    return nh3.clean(marked, tags={"code", "br"}, attributes={})
