"""The rules a postmortem is checked against, as small functions grouped by what they read.

- :mod:`.content`: characters and Markdown structure of every value and of the body: what the
  site build needs to hold (no control characters, bounded nesting, bounded bracket scans).

Each rule takes what it reads and returns a list of :class:`~postmortem_kb.problems.Problem`;
codes come from :mod:`postmortem_kb.codes`.
"""
