"""What a site build keeps while MkDocs converts its pages: front matter written without PyYAML's
emitter, generated files kept compressed, drawn pages' contexts and indexes let go."""

from __future__ import annotations

import random

import pytest
import yaml

from postmortem_kb.site import GeneratedFile
from postmortem_kb.site import frontmatter_dump as fm

HOSTILE = ["", " ", "a", "yes", "No", "null", "~", "1.5", "0x1f", "2024-01-01", "---", "...", "- a", "? a", ": a",
           "a: b", "a:", "a #b", "a#b", "#a", "&amp; co", "it's", "'quoted'", '"double"', "a  b", " a", "a ",
           "tab\there", "line\nbreak", "é…", "\u2028", "\ufeff", "<script>", "[a]", "{a}", "a, b", "@x", "`x`",
           "%x", "!x", "|x", ">x", "*x", "x" * 90, "word " * 40, "Impact: " + "word " * 30 + "end"]


@pytest.mark.parametrize("title", HOSTILE)
def test_front_matter_is_what_safe_dump_writes(title):
    for front in ({"title": title}, {"title": title, "description": title * 3, "search": {"exclude": True}},
                  {"description": title, "title": "t", "search": {"exclude": False}}):
        assert fm.dump(front) == yaml.safe_dump(front, allow_unicode=True, sort_keys=True)


def test_front_matter_of_random_text_is_what_safe_dump_writes():
    rng = random.Random(18)
    pieces = list("ab Z9:#-?'\"&*!|>%@`,[]{}.…é") + ["  ", ": ", " #", "word", "x" * 45, "yes", "&#x27;"]
    for _ in range(3000):
        front = {"title": "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))),
                 "description": " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))}
        assert fm.dump(front) == yaml.safe_dump(front, allow_unicode=True, sort_keys=True), front


def test_usual_front_matter_does_not_need_the_emitter(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("emitter used")

    monkeypatch.setattr(fm.yaml, "safe_dump", refuse)
    text = fm.dump({"title": "Disk full on db-1", "search": {"exclude": True},
                    "description": "SEV2 incident on 2024-01-01. Impact: " + "users could not log in " * 6})
    assert yaml.safe_load(text)["search"] == {"exclude": True}


def test_other_front_matter_goes_to_the_emitter():
    front = {"title": "t", "tags": ["a", "b"], "n": 3}
    assert fm.dump(front) == yaml.safe_dump(front, allow_unicode=True, sort_keys=True)


@pytest.mark.parametrize("content", ["", "small", "x" * 5000, "é\ud800" * 900, b"\x00\xff" * 2000, b"tiny"])
def test_generated_file_gives_back_its_content(content):
    item = GeneratedFile("a/b.txt", content)
    assert item.content == content and type(item.content) is type(content)
    assert (item.packed is None) == (len(content) < GeneratedFile.PACK_FROM)
    if item.packed is not None:
        assert len(item.packed) < len(content)
    assert item == GeneratedFile("a/b.txt", content)
    item.content = "replaced"
    assert item.content == "replaced" and item.packed is None
