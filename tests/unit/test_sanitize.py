"""The body sanitizer keeps Markdown's formatting and drops anything that can run."""

from __future__ import annotations

import markdown
import pytest

from postmortem_kb.sanitize import BodyFence, sanitize_html

HOSTILE = [
    ("<script>alert(1)</script>", "alert(1)"),
    ('<img src="x" onerror="alert(2)">', "onerror"),
    ('<a href="javascript:alert(3)">x</a>', "javascript:"),
    ('<a href="JaVaScRiPt:alert(3)">x</a>', "alert(3)"),
    ('<iframe src="https://evil.example"></iframe>', "iframe"),
    ('<svg onload="alert(4)"><circle/></svg>', "onload"),
    ('<div style="background:url(javascript:alert(5))">x</div>', "style"),
    ('<form action="https://evil.example"><input name="p"></form>', "form"),
    ('<object data="x.swf"></object>', "object"),
    ('<a href="data:text/html,&lt;script&gt;alert(6)&lt;/script&gt;">x</a>', "data:"),
    ("<style>body{display:none}</style>", "display:none"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "refresh"),
    ('<link rel="stylesheet" href="https://cdn.example/x.css">', "cdn.example"),
]


@pytest.mark.parametrize("html,forbidden", HOSTILE)
def test_hostile_html_is_neutralised(html, forbidden):
    assert forbidden.lower() not in sanitize_html(html).lower()


def test_markdown_formatting_survives():
    html = markdown.markdown(
        "## Root cause\n\nThe **disk** failed; see [the runbook](https://wiki.example/runbook).\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode <here>\n```\n\n<details><summary>Logs</summary>x</details>\n",
        extensions=["tables", "fenced_code"])
    clean = sanitize_html(html)
    for kept in ("<h2>", "<strong>disk</strong>", 'href="https://wiki.example/runbook"', "<table>", "<td>1</td>",
                 "code &lt;here&gt;", "<details>", "<summary>Logs</summary>"):
        assert kept in clean


def test_markdown_javascript_link_is_dropped():
    html = markdown.markdown("[click me](javascript:alert(document.cookie))")
    clean = sanitize_html(html)
    assert "javascript" not in clean and "click me" in clean


def test_fence_sanitizes_only_the_body_and_cannot_be_closed_by_it():
    fence = BodyFence()
    card = '<div class="card" onclick="trusted()">card</div>'
    body = "text <!-- pmkb-body-end-guess --> <script>alert(1)</script> " + fence.end.replace("end", "fake")
    html = card + fence.wrap(body) + "<footer>after</footer>"
    out = fence.clean(html)
    assert out.startswith(card) and out.endswith("<footer>after</footer>")
    assert "<script>" not in out and fence.start not in out and fence.end not in out


def test_fences_differ_per_build():
    assert BodyFence().start != BodyFence().start
