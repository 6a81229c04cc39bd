"""Writers' inline Markdown in short values: drawn as HTML (escaped) or dropped for plain text."""

from __future__ import annotations

import time

import pytest

from postmortem_kb.inline import plain_text, to_html


@pytest.mark.parametrize("value,html", [
    ("Restarted `haproxy` now", "Restarted <code>haproxy</code> now"),
    ("``a ` b`` and `x`", "<code>a &#96; b</code> and <code>x</code>"),
    ("**maxconn** raised", "<strong>maxconn</strong> raised"),
    ("an *urgent* fix", "an <em>urgent</em> fix"),
    ("see [runbook](https://wiki.example.org/r)",
     'see <a href="https&#58;//wiki.example.org/r" rel="noopener noreferrer">runbook</a>'),
])
def test_inline_markdown_is_drawn(value, html):
    assert str(to_html(value)) == html


def test_nothing_a_writer_types_becomes_markup_or_markdown_syntax():
    out = str(to_html("<script>alert(1)</script> `<b>` [x](javascript:alert(1)) {: onfocus=alert(1) }"))
    assert "<script" not in out and "<b>" not in out and "javascript:" not in out
    assert "{:" not in out and "onfocus=" not in out  # attr_list cannot read it either
    assert "&lt;script&gt;" in out


def test_an_unclosed_backtick_or_star_stays_as_written():
    assert plain_text("a `b and 2*3*4") == "a `b and 2*3*4"
    assert "`" not in plain_text("run `kubectl drain` first") and "kubectl drain" in plain_text("run `kubectl drain`")


def test_plain_text_keeps_the_words_only():
    assert plain_text("**Sev** `redis` [docs](https://x.org) _now_") == "Sev redis docs now"


def test_pathological_values_finish_quickly():
    """A generous timeout, not a timing: a super-linear pattern would take minutes here."""
    value = "`" * 40000 + "*" * 40000 + "[" * 40000 + "_a" * 40000 + "` `` " * 40000 + "*a " * 40000 + "[a](" * 40000
    start = time.monotonic()
    to_html(value)
    plain_text(value)
    assert time.monotonic() - start < 20
