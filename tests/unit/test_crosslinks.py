"""Cross-links: incidents by facet and term, counts, and recurrences of (root cause, component)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kit import ROOT
from postmortem_kb.crosslinks import FACETS, CrossLinks, ordinal
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.model import ActionItem, Postmortem
from postmortem_kb.slugs import slugify
from postmortem_kb.taxonomy import load_taxonomy


def make(pm_id: str, date: str, root_causes=("hardware-failure",), components=("web-server",), tags=(),
         items=(), severity="SEV2", related=()) -> Postmortem:
    return Postmortem(id=pm_id, path=Path(f"{pm_id}.md"), source=f"postmortems/{pm_id}.md", title=pm_id.upper(),
                      date=dt.date.fromisoformat(date), severity=severity, components=list(components),
                      root_causes=list(root_causes), tags=list(tags), related=list(related),
                      action_items=[ActionItem(title=t, action=a, status=s) for t, a, s in items])


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(ROOT / "taxonomy.yml")


def test_every_term_lists_exactly_the_incidents_that_use_it_newest_first(taxonomy):
    pms = [make("a", "2021-01-01", tags=["Disk", "disk"]), make("b", "2023-06-01", components=["postgres"]),
           make("c", "2022-03-03", root_causes=["dns"], items=[("x", "add-monitoring", "open")], tags=["DISK"]),
           make("d", "2022-03-03", severity="SEV1")]
    links = CrossLinks(pms, taxonomy)
    expected: dict[tuple[str, str], list[str]] = {}
    for p in sorted(pms, key=lambda p: (p.date, p.id), reverse=True):
        terms = ([("root_causes", s) for s in p.root_causes] + [("components", s) for s in p.components] +
                 [("actions", s) for s in p.actions] + [("severity", slugify(p.severity)), ("years", str(p.year))] +
                 [("tags", s) for s in dict.fromkeys(p.tag_slugs)])
        for term in terms:
            expected.setdefault(term, []).append(p.id)
    got = {(f, e.slug): [p.id for p in e.postmortems] for f in FACETS for e in links.terms(f)}
    assert got == expected
    assert links.entry("tags", "disk").count == 2
    assert links.entry("root_causes", "hardware-failure").title == "Hardware failure"
    assert links.entry("severity", "sev1").title.startswith("SEV1")


def test_listings_order_severity_by_rank_years_newest_and_terms_by_count(taxonomy):
    pms = [make("a", "2021-01-01", severity="SEV3"), make("b", "2023-01-01", severity="SEV1"),
           make("c", "2022-01-01", root_causes=["dns"]), make("d", "2022-02-01", root_causes=["dns"]),
           make("e", "2022-03-01", root_causes=["dns"])]
    links = CrossLinks(pms, taxonomy)
    assert [e.slug for e in links.terms("severity")] == ["sev1", "sev2", "sev3"]
    assert [e.slug for e in links.terms("years")] == ["2023", "2022", "2021"]
    assert [e.slug for e in links.terms("root_causes")] == ["dns", "hardware-failure"]
    assert "Capacity exhaustion" in links.unused_terms("root_causes")
    assert "DNS" not in links.unused_terms("root_causes")


def test_a_tag_keeps_the_spelling_most_writers_used(taxonomy):
    pms = [make("a", "2021-01-01", tags=["Config Push"]), make("b", "2021-02-01", tags=["config push"]),
           make("c", "2021-03-01", tags=["Config Push"])]
    assert CrossLinks(pms, taxonomy).entry("tags", "config-push").title == "Config Push"


def test_recurrence_lists_each_earlier_incident_once_with_its_open_items(taxonomy):
    first = make("first", "2023-02-01", items=[("Buy spares", "add-redundancy", "open"),
                                               ("Write runbook", "update-runbook", "done")])
    other = make("other", "2023-05-01", components=["postgres"], items=[("Unrelated", "automate", "open")])
    second = make("second", "2024-01-01", components=["web-server", "postgres"],
                  items=[("Alert on disks", "add-monitoring", "in-progress")])
    third = make("third", "2025-01-01", components=["web-server", "postgres"])
    links = CrossLinks([third, other, second, first], taxonomy)
    assert links.recurrence(first) is None
    rec = links.recurrence(second)
    assert [e.postmortem.id for e in rec.earlier] == ["other", "first"]
    assert [[i.title for i in e.open_items] for e in rec.earlier] == [["Unrelated"], ["Buy spares"]]
    rec = links.recurrence(third)
    # "second" shares two pairs with "third" and is listed once, newest first.
    assert [e.postmortem.id for e in rec.earlier] == ["second", "other", "first"]
    assert len(rec.earlier[0].pairs) == 2
    assert rec.earlier[0].reason == ("same root cause and component: Hardware failure on Web server, "
                                     "Hardware failure on PostgreSQL")
    assert rec.open_count == 3


def test_sharing_only_a_root_cause_or_only_a_component_is_no_recurrence(taxonomy):
    a = make("a", "2021-01-01")
    b = make("b", "2022-01-01", root_causes=["dns"])  # same component, other root cause
    c = make("c", "2023-01-01", components=["postgres"])  # same root cause, other component
    links = CrossLinks([a, b, c], taxonomy)
    assert all(links.recurrence(p) is None for p in links.postmortems)


def test_a_link_by_the_writer_is_a_recurrence_either_way(taxonomy):
    a = make("a", "2021-01-01", root_causes=["dns"], components=["postgres"])
    b = make("b", "2022-01-01", related=["a"])
    c = make("c", "2023-01-01", root_causes=["capacity"], components=["redis"])
    a.related = ["c"]
    links = CrossLinks([a, b, c], taxonomy)
    assert [(e.postmortem.id, e.reason) for e in links.recurrence(b).earlier] == [("a", "linked by the writer")]
    assert [e.postmortem.id for e in links.recurrence(c).earlier] == ["a"]
    assert links.recurrence(a) is None  # a later incident is never an earlier one


@pytest.mark.parametrize("n,text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                    (13, "13th"), (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th")])
def test_ordinal(n, text):
    assert ordinal(n) == text


def test_sample_kb_term_counts_match_the_model():
    kb = load_kb(KBConfig(root=ROOT))
    if not kb.postmortems:
        pytest.skip("no sample KB")
    links = CrossLinks(kb.visible(), kb.taxonomy)
    for kind in ("root_causes", "components"):
        for entry in links.terms(kind):
            assert entry.count == sum(entry.slug in getattr(p, kind) for p in kb.visible())


def test_a_frequent_pair_names_only_the_latest_earlier_incidents(taxonomy):
    from postmortem_kb import crosslinks

    pms = [make(f"p{i:02d}", f"2020-01-{i + 1:02d}", items=[(f"item {i}", "automate", "open")]) for i in range(30)]
    last = CrossLinks(pms, taxonomy).recurrence(pms[-1])
    assert last.more
    shown = range(28, 28 - crosslinks.RECURRENCE_SHOWN, -1)
    assert [e.postmortem.id for e in last.earlier] == [f"p{i:02d}" for i in shown]
    assert [i.title for i in last.earlier[0].open_items] == ["item 28"]
