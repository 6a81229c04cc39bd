"""Related incidents: explicit both ways, then closest by shared terms and words, with reasons."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kit import ROOT
from postmortem_kb import similarity
from postmortem_kb.model import ActionItem, Postmortem
from postmortem_kb.similarity import SimilarityIndex, words
from postmortem_kb.taxonomy import load_taxonomy
from postmortem_kb.timeline import split_sections


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(ROOT / "taxonomy.yml")


def make(pm_id: str, date: str = "2024-01-01", text: str = "", root_causes=(), components=(), actions=(),
         related=(), tags=(), title=None) -> Postmortem:
    body = f"## Summary\n\n{text}\n\n## Root cause\n\n{text}\n"
    return Postmortem(id=pm_id, path=Path(f"{pm_id}.md"), source=f"{pm_id}.md", title=title or pm_id,
                      date=dt.date.fromisoformat(date), severity="SEV2", root_causes=list(root_causes),
                      components=list(components), related=list(related), tags=list(tags),
                      action_items=[ActionItem(title=a, action=a) for a in actions], body=body,
                      sections=split_sections(body))


def fillers(count: int, prefix: str = "f") -> list[Postmortem]:
    """Incidents that share nothing with the others (so the terms under test stay rare)."""
    return [make(f"{prefix}{i}", root_causes=["dns"], components=["postgres"]) for i in range(count)]


def ids(relations) -> list[str]:
    return [r.postmortem.id for r in relations]


def test_explicit_related_comes_first_both_ways_with_its_reason(taxonomy):
    a = make("a", related=["c"])
    b = make("b")
    c = make("c")
    index = SimilarityIndex([a, b, c], taxonomy)
    assert ids(index.related(a)) == ["c"]
    [rel] = index.related(c)
    assert rel.postmortem is a and rel.explicit
    assert "links to this incident" in rel.reasons
    assert index.related(b) == []


def test_shared_root_cause_and_component_rank_above_a_shared_component(taxonomy):
    q = make("q", root_causes=["hardware-failure"], components=["web-server"])
    same_pair = make("pair", root_causes=["hardware-failure"], components=["web-server"])
    same_component = make("comp", root_causes=["dns"], components=["web-server"])
    unrelated = make("none", root_causes=["dns"], components=["postgres"])
    index = SimilarityIndex([q, same_pair, same_component, unrelated, *fillers(6)], taxonomy)
    got = index.related(q)
    assert ids(got)[:2] == ["pair", "comp"] and "none" not in ids(got)
    assert "same root cause: Hardware failure" in got[0].reasons
    assert "same component: Web server" in got[0].reasons


def test_text_alone_relates_incidents_that_use_the_same_distinctive_words(taxonomy):
    q = make("q", text="The wildcard certificate expired and browsers refused the TLS handshake.")
    twin = make("twin", text="An expired wildcard certificate broke TLS handshakes in every browser.")
    other = make("other", text="Kafka consumer lag grew after a broker lost packets.")
    filler = [make(f"f{i}", text=f"Queue number {i} overflowed in region {i}.") for i in range(6)]
    index = SimilarityIndex([q, twin, other, *filler], taxonomy)
    got = index.related(q)
    assert ids(got)[:1] == ["twin"]
    assert any(r.startswith("similar words:") and "certificate" in r for r in got[0].reasons)
    assert "other" not in ids(got)


def test_free_text_finds_incidents_by_named_terms_and_words(taxonomy):
    disk = make("disk", root_causes=["hardware-failure"], components=["web-server"],
                text="A power supply failed on a web node.")
    dns = make("dns", root_causes=["dns"], components=["dns-resolver"], text="Resolvers timed out.")
    index = SimilarityIndex([disk, dns], taxonomy)
    got = index.similar_to_text("web server hardware failure, the power supply died")
    assert ids(got)[0] == "disk"
    assert "mentions root cause: Hardware failure" in got[0].reasons
    assert index.similar_to_text("completely unrelated gardening tips") == []


def test_a_postmortem_outside_the_index_is_scored_the_same_way(taxonomy):
    a = make("a", root_causes=["hardware-failure"], components=["web-server"])
    b = make("b", root_causes=["dns"], components=["postgres"])
    index = SimilarityIndex([a, b], taxonomy)
    new = make("new", date="2030-01-01", root_causes=["hardware-failure"], components=["web-server"], related=["b"])
    assert ids(index.related(new)) == ["b", "a"]


def test_limit_caps_the_closest_but_not_the_explicit(taxonomy):
    q = make("q", root_causes=["hardware-failure"], related=["x"])
    others = [make(f"o{i}", root_causes=["hardware-failure"]) for i in range(6)]
    x = make("x")
    index = SimilarityIndex([q, x, *others, *fillers(12)], taxonomy)
    got = index.related(q, limit=2)
    assert ids(got)[0] == "x" and len(got) == 3


def test_a_term_shared_by_many_scores_only_the_nearest_in_time(taxonomy, monkeypatch):
    monkeypatch.setattr(similarity, "POSTING_CAP", 4)
    pms = [make(f"p{i:02d}", date=f"2020-01-{i + 1:02d}", root_causes=["hardware-failure"],
                components=["web-server"]) for i in range(20)]
    index = SimilarityIndex(pms + fillers(40), taxonomy)
    got = ids(index.related(pms[0], limit=20))
    assert got and set(got) <= {"p01", "p02", "p03"}, got
    middle = ids(index.related(pms[10], limit=20))
    assert set(middle) <= {f"p{i:02d}" for i in range(8, 13)}, middle


def test_scoring_touches_only_candidates_that_share_something(taxonomy, monkeypatch):
    pms = [make(f"p{i:02d}", root_causes=[["dns", "capacity"][i % 2]], text=f"word{i}x unique{i}y") for i in range(40)]
    index = SimilarityIndex(pms, taxonomy)
    scored = []
    real = SimilarityIndex._score

    def spy(self, query):
        result = real(self, query)
        scored.append(set(result[0]))
        return result

    monkeypatch.setattr(SimilarityIndex, "_score", spy)
    index.related(pms[0])
    dns = {i for i, p in enumerate(index.postmortems) if p.root_causes == ["dns"]}
    assert scored == [dns], "only incidents sharing the root cause (or a word) are scored"


def test_words_drop_stopwords_numbers_and_fold_plurals():
    got = [stem for stem, _ in words("The certificates expired at 10:44 on 2 hosts; certificate renewal")]
    assert "the" not in got and "10" not in got and "44" not in got
    assert got.count("certificate") == 2


def test_deterministic_order_on_ties(taxonomy):
    q = make("q", components=["web-server"], root_causes=["dns"])
    pms = [q] + [make(n, components=["web-server"], root_causes=["dns"]) for n in ("zeta", "alpha", "mid")]
    index = SimilarityIndex(pms + fillers(8, "g")[:0] + [make(f"h{i}", root_causes=["capacity"],
                                                               components=["redis"]) for i in range(8)], taxonomy)
    assert ids(index.related(q)) == ["alpha", "mid", "zeta"]


def test_a_term_most_incidents_share_is_no_relation(taxonomy):
    """An action category (or any term) that nearly every incident has relates nothing by itself."""
    pms = [make(f"p{i:02d}", root_causes=[["dns", "capacity", "deployment", "software-bug"][i % 4]],
                components=[["postgres", "redis", "kafka", "cdn"][i // 4 % 4]], actions=["add-monitoring"])
           for i in range(16)]
    index = SimilarityIndex(pms, taxonomy)
    for pm in pms:
        for rel in index.related(pm):
            shared = set(rel.postmortem.root_causes) & set(pm.root_causes) or \
                set(rel.postmortem.components) & set(pm.components)
            assert shared, (pm.id, rel.postmortem.id, rel.reasons)
            assert not any("add monitoring" in r.lower() for r in rel.reasons), rel.reasons


def test_a_shared_action_category_alone_is_never_enough(taxonomy):
    q = make("q", root_causes=["dns"], components=["cdn"], actions=["add-monitoring", "automate"])
    same_actions = make("acts", root_causes=["capacity"], components=["redis"], actions=["add-monitoring", "automate"])
    index = SimilarityIndex([q, same_actions, *fillers(10)], taxonomy)
    assert index.related(q) == []


def test_reasons_are_short_and_name_each_kind_once(taxonomy):
    q = make("q", root_causes=["expired-certificate"], components=["cdn"])
    twin = make("twin", root_causes=["expired-certificate"], components=["cdn"])
    index = SimilarityIndex([q, twin, *fillers(10)], taxonomy)
    [rel] = index.related(q)
    assert rel.reasons == ["same root cause: Expired certificate", "same component: CDN"]


def test_the_browser_index_carries_what_similar_to_text_reads(taxonomy):
    import json

    disk = make("disk", date="2024-02-01", root_causes=["hardware-failure"], components=["web-server"],
                text="A power supply failed on a web node.")
    dns = make("dns", date="2023-05-01", root_causes=["dns"], components=["dns-resolver"], text="Resolvers timed out.")
    index = SimilarityIndex([disk, dns] + fillers(3), taxonomy)
    data = index.browser_index(lambda pm_id: f"incidents/{pm_id}.html")
    json.dumps(data, allow_nan=False)  # plain JSON, nothing a script could not read
    # Incidents in the index's order (oldest first), so posting numbers point at them.
    assert [d[0] for d in data["docs"]] == [pm.id for pm in index.postmortems]
    assert data["docs"][[d[0] for d in data["docs"]].index("disk")][4] == "incidents/disk.html"
    # Every name of a term in use, aliases included, resolves as the taxonomy resolves it.
    component = taxonomy.terms["components"]["web-server"]
    assert component.aliases
    for alias in component.aliases:
        assert data["names"]["components"][similarity.slugify(alias)] == "web-server"
    term = data["terms"]["root_causes"]["hardware-failure"]
    assert term["title"] == "Hardware failure" and term["postings"] == [index.position["disk"]]
    assert term["rarity"] == index._rarity(("root_causes", "hardware-failure"))
    # A word's postings carry its weight in each incident; the idf of each kept word is Python's own.
    stem = "power"
    pairs = data["words"][stem]
    assert pairs[0::2] == index.word_postings[stem] and pairs[1::2] == index.word_weights[stem]
    assert data["idf"][stem] == index._idf(stem)
    assert data["log"][3] == pytest.approx(1.0986122886681098)


def test_an_explicit_relation_carries_the_score_it_has_as_a_candidate(taxonomy):
    q = make("q", root_causes=["hardware-failure"], components=["web-server"], text="OCSP stapling broke.")
    twin = make("twin", root_causes=["hardware-failure"], components=["web-server"], text="OCSP stapling failed.")
    stranger = make("stranger", root_causes=["capacity"], components=["redis"], text="Memory ran out.")
    index = SimilarityIndex([q, twin, stranger, *fillers(10)], taxonomy)
    [closest] = index.related(q)
    linked = make("q", root_causes=["hardware-failure"], components=["web-server"], text="OCSP stapling broke.",
                  related=["twin", "stranger"])
    explicit = index.related(linked)
    assert [(r.postmortem.id, r.explicit) for r in explicit] == [("twin", True), ("stranger", True)]
    assert explicit[0].score == closest.score > 0 and explicit[1].score == 0.0
    assert explicit[0].reasons == ["linked by its writers", *closest.reasons]


def test_similar_words_are_named_as_first_written(taxonomy):
    q = make("q", text="Certificates expired; one certificate stayed. Certificate renewal failed.")
    twin = make("twin", text="The certificate expired and renewal failed.")
    index = SimilarityIndex([q, twin, *fillers(6)], taxonomy)
    words_reason = [r for r in index.related(q)[0].reasons if r.startswith("similar words:")]
    assert words_reason and "certificates" in words_reason[0].split(": ")[1].split(", "), words_reason
