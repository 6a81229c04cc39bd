"""The hostile fixtures in tests/fixtures/bad/ and the first problem each must give."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bad"

# case -> (code, line) of the first error pmkb validate must report
EXPECTED = {
    "yaml-tabs": ("yaml-syntax", 6),
    "yaml-unclosed-quote": ("yaml-syntax", 2),
    "yaml-duplicate-key": ("duplicate-key", 7),
    "yaml-alias-bomb": ("yaml-alias", 5),
    "yaml-merge-key": ("invalid-key", 3),
    "yaml-python-tag": ("yaml-unsafe-tag", 2),
    "front-matter-list": ("front-matter-not-mapping", 2),
    "front-matter-scalar": ("front-matter-not-mapping", 2),
    "front-matter-missing": ("missing-front-matter", 1),
    "front-matter-unterminated": ("unterminated-front-matter", 1),
    "front-matter-empty": ("empty-front-matter", 1),
    "empty-file": ("empty-file", 1),
    "binary": ("binary-file", 3),
    "non-utf8": ("not-utf8", 2),
    "impossible-date": ("invalid-date", 3),
    "number-for-date": ("invalid-date", 3),
    "timezone-out-of-range": ("invalid-timezone", 7),
    "timezone-unknown": ("invalid-timezone", 7),
    "timeline-backwards": ("timeline-backwards", 16),
    "negative-duration": ("negative-duration", 8),
    "id-dotdot": ("invalid-id", 2),
    "id-slash": ("invalid-id", 2),
    "id-space": ("invalid-id", 2),
    "id-lookalike": ("invalid-id", 2),
    "related-missing": ("unknown-related", 7),
    "related-self": ("related-self", 8),
    "unknown-term": ("unknown-term", 6),
    "unknown-action": ("unknown-term", 9),
    "string-for-list": ("wrong-type", 5),
    "list-for-string": ("wrong-type", 2),
    "mapping-for-string": ("wrong-type", 7),
    "number-for-title": ("wrong-type", 2),
    "action-item-not-mapping": ("wrong-type", 8),
    "action-item-bad-status": ("invalid-value", 9),
    "action-item-bad-due": ("invalid-date", 9),
    "huge-list": ("invalid-length", 7),
    "deeply-nested": ("too-deep", 2),
    "deeply-nested-block": ("too-deep", 24),
    "unknown-field": ("unknown-field", 7),
    "missing-required": ("missing-field", 2),
    "javascript-ticket": ("unsafe-url", 9),
}
ACCEPTED = ["ok-bom", "ok-crlf", "ok-html-everywhere"]
