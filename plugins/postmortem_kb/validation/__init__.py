"""The rules a postmortem is checked against, as small functions grouped by what they read.

- :mod:`.schema`: the front matter against the JSON Schema, each jsonschema error explained
  from its structure (which keyword failed, on which field).
- :mod:`.content`: characters and Markdown structure of every value and of the body: what the
  site build needs to hold (no control characters, bounded nesting, bounded bracket scans).
- :mod:`.fields`: the values the model keeps: id, date, timezone, taxonomy terms, action items.
- :mod:`.sections`: required and recommended sections, empty ones, paragraphs copied twice.
- :mod:`.times`: the timeline, the key moments and their order, stated durations.
- :mod:`.drafts`: what is only a warning in a draft.
- :mod:`.kb_wide`: unique ids and ``related`` ids that exist, across the KB.

Each rule takes what it reads and returns a list of :class:`~postmortem_kb.problems.Problem`
(with the value it read, for the rules whose value the model keeps); codes come from
:mod:`postmortem_kb.codes`. :func:`postmortem_kb.loader.build_postmortem` runs them in order.
"""
