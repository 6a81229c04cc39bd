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


def test_a_value_is_drawn_from_its_text_whatever_carries_it():
    from markupsafe import Markup

    class Changing:
        def __init__(self):
            self.text = "**one**"

        def __str__(self):
            return self.text

    assert to_html(Markup("**<b>**")) == to_html("**<b>**") == Markup("<strong>&lt;b&gt;</strong>")
    value = Changing()
    assert str(to_html(value)) == "<strong>one</strong>"
    value.text = "*two*"
    assert str(to_html(value)) == "<em>two</em>"  # drawn from the text it has now, not a kept one
    assert str(to_html("*two* ")) == "<em>two</em> "


def test_a_long_value_is_drawn_like_a_short_one():
    tail = " <x>" * 2000
    assert str(to_html("*a*" + tail)) == "<em>a</em>" + " &lt;x&gt;" * 2000
    assert str(to_html("*a*" + tail)) == str(to_html("*a*" + tail))
