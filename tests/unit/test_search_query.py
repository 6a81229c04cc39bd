"""Queries over the whoosh index: fields, aliases, filters, date ranges, ranking, snippets, facets, CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kit.search_kb import make_kb, sample_kb, write
from postmortem_kb.cli import cli
from postmortem_kb.loader import KBConfig
from postmortem_kb.search import Filters, KBIndex, QueryError, search


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return sample_kb(tmp_path)


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch) -> Path:
    """The user's cache folder, where `pmkb search` keeps the index: one per test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def index(kb: Path, tmp_path: Path):
    ix = KBIndex(tmp_path / "ix", KBConfig(root=kb))
    ix.open()
    yield ix
    ix.close()


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


def test_words_find_title_and_body(index):
    assert ids(search(index, "wraparound")) == ["pg-wraparound"]
    assert set(ids(search(index, "sessions logged"))) == {"redis-evict"}
    assert search(index, "nosuchwordanywhere").total == 0


def test_fielded_query_from_the_issue(index):
    res = search(index, 'component:postgres severity:SEV1 date:[2023 to 2024] "connection pool"')
    assert ids(res) == ["pg-pool"]


@pytest.mark.parametrize("query, expected", [
    ("component:postgres", {"pg-pool", "pg-wraparound"}),
    ("component:database", {"pg-pool", "pg-wraparound"}),  # a taxonomy alias
    ("components:PostgreSQL", {"pg-pool", "pg-wraparound"}),
    ("root_cause:config-change", {"redis-evict", "lb-maxconn"}),
    ("cause:configuration-change AND component:redis", {"redis-evict"}),
    ("severity:sev1", {"pg-pool", "pg-wraparound"}),
    ("sev:SEV3", {"cert-expiry"}),
    ("status:draft", {"draft-dns"}),
    ("tag:HAProxy", {"lb-maxconn"}),
    ("action:capacity-planning", {"pg-pool"}),
    ("id:cert-expiry", {"cert-expiry"}),
    ("title:certificate", {"cert-expiry"}),
    ("component:postgres NOT severity:SEV1", set()),
    ("component:postgres OR component:cdn", {"pg-pool", "pg-wraparound", "cert-expiry"}),
])
def test_fielded_queries(index, query, expected):
    assert set(ids(search(index, query, limit=None))) == expected


def test_bare_word_matches_facet_names(index):
    # "database" is an alias of postgres: incidents filed under it are found by the word.
    assert {"pg-pool", "pg-wraparound"} <= set(ids(search(index, "postgresql", limit=None)))


@pytest.mark.parametrize("query, expected", [
    ("date:[2023 to 2024]", {"pg-pool", "pg-wraparound", "redis-evict", "draft-dns"}),  # ends inclusive
    ("date:2024", {"pg-wraparound", "redis-evict", "draft-dns"}),
    ("date:[2024-01-02 to]", {"pg-wraparound", "draft-dns", "cert-expiry"}),
    ("date:[to 2022-12-31]", {"lb-maxconn"}),
    ("date:>2024-12", {"pg-wraparound", "cert-expiry"}),
])
def test_date_ranges(index, query, expected):
    assert set(ids(search(index, query, limit=None))) == expected


def test_metric_ranges(index):
    # Detected 30 minutes after the start (the others: 5).
    assert ids(search(index, "ttd:>20")) == ["pg-pool"]
    assert "pg-pool" not in ids(search(index, "time_to_detect:[0 to 10]", limit=None))


def test_facet_filters_combine(index):
    assert set(ids(search(index, "", Filters(components=["postgres"])))) == {"pg-pool", "pg-wraparound"}
    assert ids(search(index, "", Filters(components=["db"], severities=["sev1"], since=dt.date(2024, 1, 1)))) \
        == ["pg-wraparound"]
    either = search(index, "", Filters(root_causes=["capacity", "expired-cert"]), limit=None)
    assert set(ids(either)) == {"pg-pool", "cert-expiry"}
    assert set(ids(search(index, "", Filters(statuses=["published"]), limit=None))) == \
        {"pg-pool", "pg-wraparound", "redis-evict", "lb-maxconn", "cert-expiry"}
    window = search(index, "", Filters(since=dt.date(2024, 1, 1), until=dt.date(2024, 12, 31)), limit=None)
    assert set(ids(window)) == {"pg-wraparound", "redis-evict", "draft-dns"}
    assert ids(search(index, "maxmemory", Filters(components=["postgres"]))) == []


def test_filter_errors_say_what_to_do(index):
    with pytest.raises(QueryError) as err:
        search(index, "", Filters(components=["postgress"]))
    assert "postgres" in err.value.hint
    with pytest.raises(QueryError):
        search(index, "", Filters(severities=["SEV9"]))
    with pytest.raises(QueryError) as err:
        search(index, "componnent:postgres")
    assert "component" in err.value.hint
    with pytest.raises(QueryError):
        search(index, "", Filters(since=dt.date(2025, 1, 1), until=dt.date(2024, 1, 1)))


def test_title_match_outranks_body_mentions(tmp_path):
    root = make_kb(tmp_path)
    write(root, "in-body", title="Queue backlog after deploy", date="2024-02-02",
          summary="The quokkatron worker restarted; the quokkatron queue grew; quokkatron again.")
    write(root, "in-title", title="Quokkatron outage", date="2023-02-02",
          summary="A worker restarted and a queue grew.")
    write(root, "unrelated", title="Something else", date="2025-02-02")
    with KBIndex(tmp_path / "ix", KBConfig(root=root)) as ix:
        ix.open()
        res = search(ix, "quokkatron")
        assert ids(res) == ["in-title", "in-body"]
        assert res.hits[0].score > res.hits[1].score


def test_snippets_highlight_the_matching_words(index):
    res = search(index, "evict")
    hit = res.hits[0]
    marked = [text for text, is_match in hit.snippet if is_match]
    assert marked and all(t.lower().startswith("evict") for t in marked)
    assert ">>" in hit.snippet_text() and "<<" in hit.snippet_text()


def test_facet_counts_cover_all_matches(index):
    res = search(index, "", limit=1)
    assert res.total == 6 and len(res.hits) == 1
    assert res.facets["severity"] == {"SEV1": 2, "SEV2": 2, "SEV3": 1, "SEV4": 1}
    assert res.facets["components"]["postgres"] == 2
    assert res.facets["root_causes"]["configuration-change"] == 2
    assert res.facets["status"] == {"published": 5, "draft": 1}
    assert res.facets["year"]["2024"] == 3
    only = search(index, "component:postgres", limit=None)
    assert only.facets["severity"] == {"SEV1": 2}


def test_no_words_means_newest_first(index):
    res = search(index, "", limit=None)
    dates = [h.date for h in res.hits]
    assert dates == sorted(dates, reverse=True)
    assert all(h.score is None for h in res.hits)


# -- the command ---------------------------------------------------------------------------


def test_cli_search_text_and_json(kb, runner, cache_home):
    result = runner.invoke(cli, ["--kb", str(kb), "search", "evicted", "--component", "redis"])
    assert result.exit_code == 0, result.output
    assert "Sessions evicted from Redis" in result.stdout
    assert ">>evicted<<" in result.stdout.lower() or ">>evict" in result.stdout.lower()
    assert "severity: SEV2 1" in result.stdout
    assert "index rebuilt" in result.stderr
    assert not (kb / ".pmkb").exists()  # the index lives in the user's cache, never in the KB
    assert list((cache_home / "postmortem-kb").glob("kb-*/index"))

    result = runner.invoke(cli, ["--kb", str(kb), "search", "component:postgres", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == 2
    assert {r["id"] for r in data["results"]} == {"pg-pool", "pg-wraparound"}
    assert data["facets"]["severity"] == {"SEV1": 2}
    assert result.stderr == ""  # nothing changed: nothing said about the index


def test_cli_refreshes_when_the_kb_changes(kb, runner, tmp_path):
    index_dir = tmp_path / "elsewhere"
    args = ["--kb", str(kb), "search", "--index-dir", str(index_dir)]
    assert runner.invoke(cli, [*args, "zeppelinium"]).stdout.strip() == ""
    write(kb, "new-one", title="Zeppelinium leak", date="2026-01-01")
    result = runner.invoke(cli, [*args, "zeppelinium"])
    assert "index updated: 1 added" in result.stderr
    assert "Zeppelinium leak" in result.stdout
    assert not (kb / ".pmkb").exists()


@pytest.mark.parametrize("args, message", [
    (["--since", "2024-13-01"], "not a date"),
    (["--severity", "SEV9"], "not a severity"),
    (["--component", "postgress"], "did you mean `postgres`"),
    (["bogus:field"], "unknown field"),
])
def test_cli_usage_errors(kb, runner, args, message):
    result = runner.invoke(cli, ["--kb", str(kb), "search", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_since_until_take_years_and_months(kb, runner):
    result = runner.invoke(cli, ["--kb", str(kb), "search", "--since", "2024", "--until", "2024-01",
                                 "--format", "json"])
    assert [r["id"] for r in json.loads(result.stdout)["results"]] == ["redis-evict"]


def test_cli_index_command(kb, runner):
    result = runner.invoke(cli, ["--kb", str(kb), "index"])
    assert result.exit_code == 0, result.output
    assert "6 postmortems searchable" in result.stdout
    result = runner.invoke(cli, ["--kb", str(kb), "index", "--rebuild"])
    assert "index rebuilt (asked to rebuild): 6" in result.stdout


def test_empty_kb_then_first_postmortem(tmp_path, runner):
    root = make_kb(tmp_path)
    for _ in range(2):  # built empty, then read again empty
        result = runner.invoke(cli, ["--kb", str(root), "search", "anything", "--format", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["total"] == 0
    write(root, "first", title="The first incident", date="2024-01-01")
    result = runner.invoke(cli, ["--kb", str(root), "search", "first", "--format", "json"])
    assert [r["id"] for r in json.loads(result.stdout)["results"]] == ["first"]


def test_a_folder_that_is_not_a_kb_is_a_usage_error(tmp_path, runner):
    result = runner.invoke(cli, ["--kb", str(tmp_path), "search", "x"])
    assert result.exit_code == 2
    assert "is not a knowledge base" in result.output and "Traceback" not in result.output
    assert not (tmp_path / ".pmkb").exists()


def test_no_postmortems_folder_is_a_clear_error(tmp_path, runner):
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    result = runner.invoke(cli, ["--kb", str(tmp_path), "search", "x"])
    assert result.exit_code == 1
    assert "no postmortems folder" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mkdocs.yml"]


@pytest.mark.parametrize("second", ["2025/pg-pool", "a/pg-pool"])
def test_a_duplicated_id_is_served_once_as_the_loader_keeps_it(kb, tmp_path, second):
    from postmortem_kb.loader import load_kb

    write(kb, second, title="Duplicated pool outage", summary="Another write-up under an id already used, quokka.")
    loaded = load_kb(KBConfig(root=kb))
    kept = {pm.source for pm in loaded.postmortems if pm.id == "pg-pool"}
    assert len(kept) == 1 and any("pg-pool" in s for s in loaded.rejected)
    with KBIndex(tmp_path / "ix2", KBConfig(root=kb)) as ix:
        ix.open()
        hits = search(ix, "component:postgres", limit=None).hits
        served = [h for h in hits if h.id == "pg-pool"]
        assert len(served) == 1
        assert search(ix, "quokka").total == (1 if kept == {f"postmortems/{second}.md"} else 0)
