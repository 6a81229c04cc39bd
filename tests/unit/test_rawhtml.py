"""Held HTML (site/rawhtml.py): placeholders found by their prefix are exactly the pattern's tokens,
and a page's lines read in place hold the same blocks as lines split out."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from postmortem_kb.site.rawhtml import HtmlHold

HOLD = HtmlHold()
PIECES = ["<p>", "</p>", "<p></p>", HOLD._prefix, HOLD._prefix + "7", "12", "٣", "x", "\n", " ", "<",
          f"<p>{HOLD._prefix}3</p>", f"<p><p>{HOLD._prefix}45</p></p>", HOLD._prefix[:5]]


def replacement(key: str, token: str) -> str:
    # Empty for some keys: a replacement that gives nothing is kept as nothing, not as the token.
    return "" if key.endswith("3") else f"[{key[-2:]}|{token}]"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
@example([HOLD._prefix + "7", "</p>", "x", "<p>"])  # a token at the very start, "<p>" at the very end
def test_placeholders_found_by_prefix_are_the_patterns_tokens(pieces: list[str]) -> None:
    html = "".join(pieces)
    expected = HOLD._token.sub(lambda m: replacement(m.group(1) or m.group(2), m.group(0)), html)
    assert HOLD._substitute(html, replacement) == expected


def test_a_held_page_comes_back_whole() -> None:
    hold = HtmlHold()
    page = '<div class="a">\n<p>one</p>\n</div>\n\ntext\n\n<table>\n<tr><td>x</td></tr>\n</table>\n'
    markdown = hold.hold(page)
    assert "<div" not in markdown and "<table" not in markdown and "text" in markdown
    hold.pack(markdown)
    converted = "\n".join(f"<p>{line}</p>" if line.startswith(hold._prefix) else line
                          for line in markdown.split("\n") if line)
    released = hold.release(converted)
    assert '<div class="a">\n<p>one</p>\n</div>' in released and "<tr><td>x</td></tr>" in released
