"""One way to turn ids, terms and file names into URL parts, used everywhere."""

from __future__ import annotations

import re
from functools import lru_cache

from slugify import slugify as _slugify

ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII)


def slugify(text: object) -> str:
    """``"Web Server (nginx)"`` -> ``"web-server-nginx"``; unicode is transliterated."""
    return _cached_slug(str(text))


@lru_cache(maxsize=65536)
def _cached_slug(text: str) -> str:
    # The same few thousand terms, tags and headings are slugified again for every postmortem.
    return _slugify(text, max_length=80, word_boundary=True)


def is_valid_id(value: str) -> bool:
    """Ids are lowercase ASCII words joined by single dashes: safe as a file and URL name."""
    return bool(ID_PATTERN.fullmatch(value)) and len(value) <= 120
