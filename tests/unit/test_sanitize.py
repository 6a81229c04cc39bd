"""The body sanitizer keeps Markdown's formatting and drops anything that can run."""

from __future__ import annotations

import markdown
import pytest

from postmortem_kb.sanitize import PREFIX, sanitize_html

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


# Names the theme (mkdocs-material), the search UIs and our scripts read from the page.
THEME_IDS = ["__config", "__search", "__drawer", "__toc", "__palette_0", "__tabbed_1_1", "__consent",
             "__analytics", "__settings", "search", "pmkb-search"]


@pytest.mark.parametrize("name", THEME_IDS)
@pytest.mark.parametrize("template", ['<div id="{}">x</div>', '<a name="{}">x</a>', '<h2 id="{}">x</h2>',
                                      '<input type="radio" name="{}" id="{}">', '<label for="{}">x</label>',
                                      '<span id=" {} ">x</span>'])
def test_no_writer_element_can_take_a_name_of_the_page(name, template):
    out = sanitize_html(template.format(name, name))
    assert f'="{name}"' not in out and f"={name}" not in out
    assert f"{PREFIX}{name}" in out


def test_in_page_links_follow_the_prefixed_ids_and_are_not_prefixed_twice():
    html = ('<p><a href="#fn:1">1</a> <a href="#">top</a> <a href="../x/#summary">there</a></p>'
            f'<div id="fn:1"><a href="#{PREFIX}fn:1">back</a></div>')
    out = sanitize_html(html)
    assert f'href="#{PREFIX}fn:1"' in out and f'id="{PREFIX}fn:1"' in out
    assert f"{PREFIX}{PREFIX}" not in out
    assert 'href="#"' in out  # nothing to prefix
    assert 'href="../x/#summary"' in out  # another page: the site rewrites those (see test_site)


@pytest.mark.parametrize("attribute", [
    'data-pagefind-meta="url:javascript:alert(1)"', 'data-pagefind-body', "data-pagefind-filter=severity",
    'data-md-component="search-result"', 'data-md-color-scheme="slate"', 'data-owner="x"', "data-x=1"])
def test_every_data_attribute_is_dropped(attribute):
    out = sanitize_html(f"<p {attribute}>x</p><img src=a.png {attribute}>")
    assert "data-" not in out and "javascript" not in out


def test_classes_of_the_theme_and_our_scripts_are_dropped_others_kept():
    out = sanitize_html('<div class="md-sidebar admonition PMKB-card pagefind-ui__result highlight">x</div>')
    assert 'class="admonition highlight"' in out


def test_only_checkbox_and_radio_inputs_and_aria_references_are_prefixed():
    out = sanitize_html('<input type="image" src="x"><input type="checkbox" checked>'
                        '<span aria-describedby="a __config" aria-hidden="true">x</span>')
    assert 'type="image"' not in out and 'type="checkbox"' in out
    assert f'aria-describedby="{PREFIX}a {PREFIX}__config"' in out and 'aria-hidden="true"' in out


@pytest.mark.parametrize("url", ["javascript:alert(1)", "vbscript:x", "data:text/html,x", " javascript:x",
                                 "java\tscript:x", "file:///etc/passwd"])
def test_url_attributes_keep_the_scheme_allow_list(url):
    out = sanitize_html(f'<a href="{url}">x</a><img src="{url}">')
    assert "href" not in out and "src" not in out
