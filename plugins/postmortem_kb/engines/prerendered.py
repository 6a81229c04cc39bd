"""A Markdown extension that puts pages pmkb already rendered into an engine's output, untouched.

An engine that cannot run the postmortems plugin (Zensical) still runs Python-Markdown
extensions. pmkb renders each generated page itself, exactly as the plugin would (the writers'
parts sanitized, the templates' HTML complete), and stages a page whose body is one
placeholder. This extension swaps the placeholder for the finished HTML after Markdown ran,
so the engine's Markdown never parses it again (which could turn a writer's text into markup),
and gives the engine the table of contents the plugin's build would have had.

The placeholder carries a secret made per build: no page of the repository can ask for another
page's HTML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor


class PrerenderedExtension(Extension):
    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "pages_dir": ["", "The folder of the finished pages (<n>.html and <n>.toc.json)."],
            "token": ["", "The placeholder's prefix, secret for one build."],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        # Priority 0: after raw HTML is put back (30), so nothing else sees the page's HTML.
        md.postprocessors.register(_PutBack(md, Path(self.getConfig("pages_dir")), self.getConfig("token")),
                                   "pmkb_prerendered", 0)


class _PutBack(Postprocessor):
    def __init__(self, md: Markdown, pages_dir: Path, token: str):
        super().__init__(md)
        self.pages_dir = pages_dir
        self.pattern = re.compile(rf"\A\s*<p>{re.escape(token)}(\d+)</p>\s*\Z") if token else None

    def run(self, text: str) -> str:
        if self.pattern is None:
            return text
        m = self.pattern.match(text)
        if m is None:
            return text
        page = self.pages_dir / m.group(1)
        html = page.with_suffix(".html").read_text(encoding="utf-8")
        self.md.toc_tokens = json.loads(page.with_suffix(".toc.json").read_text(encoding="utf-8"))
        return html


def makeExtension(**kwargs: Any) -> PrerenderedExtension:  # noqa: N802 - Python-Markdown's name
    return PrerenderedExtension(**kwargs)
