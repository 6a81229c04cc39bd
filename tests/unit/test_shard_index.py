"""The sharded site search index (site/searchindex.py): what the files hold, how they split,
and that every indexed word of every document can be found again from them."""

from __future__ import annotations

import json
import re
import shutil
import string
import subprocess

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kit import ROOT, write_postmortem
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.site import searchindex as si

WORKER = ROOT / "plugins" / "postmortem_kb" / "assets" / "pmkb-search-worker.js"
CALL = re.compile(r'\ApmkbSearchLoaded\("([^"]+)",(.*)\);\n\Z', re.S)


def read(content: bytes) -> tuple[str, object]:
    """A shard file's name and data, read as the worker reads it over http."""
    match = CALL.match(content.decode("utf-8"))
    assert match, content[:80]
    return match.group(1), json.loads(match.group(2))


def lookup(files: dict[str, bytes], word: str) -> dict[int, int]:
    """Document number -> weight for ``word``, found the way the worker finds it: in the file of
    the longest shard key that starts the word."""
    manifest = read(files["manifest.js"])[1]
    keys = [word[:n] for n in range(len(word), 0, -1) if word[:n] in manifest["shards"]]
    if not keys:
        return {}
    name, data = read(files[si.shard_name(keys[0]) + ".js"])
    assert name == si.shard_name(keys[0])
    flat, out, doc = data.get(word, []), {}, 0
    for i in range(0, len(flat), 2):
        doc += flat[i]
        out[doc] = flat[i + 1]
    return out


def doc(n: int, title: str, text: str = "") -> si.SearchDoc:
    return si.SearchDoc(url=f"incidents/{n}.html", title=title, text=text,
                        fields=[(title, si.TITLE), (text, si.EXCERPT)])


def test_every_word_of_every_document_is_found_with_its_weight():
    docs = [doc(i, f"Outage number{i} of the cache", "replication lag on the primary " * (i % 3 + 1))
            for i in range(40)]
    files = si.build(docs)
    for i, d in enumerate(docs):
        for word in set(si.tokens(d.title + " " + d.fields[1][0])):
            assert i in lookup(files, word), (i, word)
    assert lookup(files, "number7") == {7: lookup(files, "number7")[7]}
    # A word in the title weighs more than the same word in the text; repeats add, with diminishing returns.
    assert lookup(files, "outage")[0] > lookup(files, "replication")[0]
    lag = lookup(files, "lag")
    assert lag[2] > lag[1] > lag[0] and lag[2] < 3 * lag[0]
    # Stop words are not indexed.
    assert lookup(files, "the") == {} and "the" in read(files["manifest.js"])[1]["stop"]


def test_documents_come_in_chunks_in_order():
    docs = [doc(i, f"Incident {i}") for i in range(2 * si.DOCS_PER_CHUNK + 3)]
    files = si.build(docs)
    manifest = read(files["manifest.js"])[1]
    assert manifest["docs"] == len(docs) and manifest["chunk"] == si.DOCS_PER_CHUNK
    records, chunks = [], -(-len(docs) // si.DOCS_PER_CHUNK)
    for n in range(chunks):
        name, chunk = read(files[f"d-{n}.js"])
        assert name == f"d-{n}" and 1 <= len(chunk) <= si.DOCS_PER_CHUNK
        records += chunk
    assert [r[0] for r in records] == [d.url for d in docs]
    assert f"d-{chunks}.js" not in files


def test_a_large_prefix_is_split_and_every_word_stays_findable(monkeypatch):
    monkeypatch.setattr(si, "SHARD_BYTES", 400)
    words = [f"co{a}{b}word" for a in "mnrst" for b in "aeiou"] + ["co", "c"]
    docs = [doc(i, " ".join(words[i::3])) for i in range(3)]
    files = si.build(docs)
    shards = read(files["manifest.js"])[1]["shards"]
    assert len([k for k in shards if k.startswith("co")]) > 1  # split beyond two characters
    assert all(len(files[si.shard_name(k) + ".js"]) == size for k, size in shards.items())
    for i, d in enumerate(docs):
        for word in si.tokens(d.title):
            assert i in lookup(files, word), word
    # A split shard is small unless it holds one word only.
    for key, size in shards.items():
        data = read(files[si.shard_name(key) + ".js"])[1]
        assert size <= 400 + 200 or len(data) == 1, key


def test_hostile_titles_cannot_end_a_script_and_long_runs_are_not_indexed():
    title = "</script><script>alert(1)</script> " + "x" * 5000
    files = si.build([doc(0, title)])
    for content in files.values():
        assert b"</script" not in content.lower()
    chunk = read(files["d-0.js"])[1]
    assert chunk[0][1] == title  # kept as written; the worker escapes it before showing it
    assert lookup(files, "alert") == {0: lookup(files, "alert")[0]}
    indexed = [w for name, content in files.items() if name.startswith("t-") for w in read(content)[1]]
    assert "alert" in indexed and all(len(w) <= si.MAX_TOKEN for w in indexed)


def test_incidents_are_found_by_aliases_facets_and_summary(tmp_path):
    (tmp_path / "taxonomy.yml").write_text((ROOT / "taxonomy.yml").read_text("utf-8"), "utf-8")
    write_postmortem(tmp_path, "2024/2024-03-14-disk", title="Disk failure on web-1", components="web-server",
                     root_causes="hardware-failure")
    write_postmortem(tmp_path, "2024/2024-04-01-cert", title="Checkout down", date="2024-04-01",
                     components="web-server", root_causes="expired-certificate")
    kb = load_kb(KBConfig(root=tmp_path))
    assert not [p for p in kb.problems if p.is_error], kb.problems
    pms = kb.visible(True)
    docs = si.incident_docs(pms, kb.taxonomy, lambda pm_id: f"incidents/{pm_id}.html")
    files = si.build(docs)
    number = {d.url.split("/")[-1][:-5]: i for i, d in enumerate(docs)}
    disk, cert = number["2024-03-14-disk"], number["2024-04-01-cert"]
    alias = kb.taxonomy.terms["root_causes"]["hardware-failure"].aliases[0]
    for word in si.tokens(alias):
        assert disk in lookup(files, word) and cert not in lookup(files, word), word
    assert set(lookup(files, "certificate")) == {cert}  # the root cause's title
    assert set(lookup(files, "checkout")) == {cert}
    assert set(lookup(files, "sev2")) == {disk, cert}
    # The line under a result: severity, date, facets, then the summary.
    record = read(files[f"d-{cert // si.DOCS_PER_CHUNK}.js"])[1][cert % si.DOCS_PER_CHUNK]
    assert record[1] == "Checkout down" and record[2].startswith("SEV2 · 2024-04-01 · ")


def test_write_search_index_folds_the_sites_own_pages_in_and_cuts_the_theme_index(tmp_path):
    site = tmp_path / "site"
    (site / "search").mkdir(parents=True)
    theme = {"config": {"lang": ["en"], "separator": "[\\s\\-]+"}, "docs": [
        {"location": "format.html", "title": "Writing a postmortem", "text": "<p>Front matter fields</p>"},
        {"location": "format.html#timeline", "title": "Timeline", "text": "Each line starts with a time"},
        {"location": "about.html", "title": "About", "text": "listing text"},
        {"location": "tags/x.html", "title": "A tag page", "text": "tag listing"},
    ]}
    (site / "search" / "search_index.json").write_text(json.dumps(theme), "utf-8")
    (site / "search" / "shards").mkdir()
    (site / "search" / "shards" / "t-stale.js").write_text("old", "utf-8")
    written = si.write_search_index(site, [], None, lambda pm_id: "", skip=lambda url: url.startswith("tags/"))
    files = {p.name: p.read_bytes() for p in (site / "search" / "shards").iterdir()}
    assert "t-stale.js" not in files
    assert written.documents == 2 and written.files == len(files)
    records = read(files["d-0.js"])[1]
    assert [r[0] for r in records] == ["format.html", "about.html"]
    assert records[0][1] == "Writing a postmortem"
    assert 0 in lookup(files, "timeline") and lookup(files, "listing") == {1: lookup(files, "listing")[1]}
    assert lookup(files, "tag") == {}
    stub = json.loads((site / "search" / "search_index.json").read_text("utf-8"))
    assert stub == {"config": theme["config"], "docs": []}


def test_common_write_up_words_are_indexed_only_where_they_stand_out(monkeypatch):
    monkeypatch.setattr(si, "BODY_MAX_DOCS", 2)
    docs = [si.SearchDoc(url=f"incidents/{i}.html", title=title, text="", fields=[(title, si.TITLE)],
                         body=f"we rolled back the deploy {extra}")
            for i, (title, extra) in enumerate([("Rolled back twice", "quasilinear"), ("Disk failure", "raid"),
                                                ("Certificate expired", "raid"), ("Queue stalled", "")])]
    files = si.build(docs)
    assert set(lookup(files, "rolled")) == {0}  # in every write-up: found where it is in the title only
    assert lookup(files, "deploy") == {}
    assert set(lookup(files, "raid")) == {1, 2}  # in two write-ups: still found from them
    assert set(lookup(files, "quasilinear")) == {0}


# The site's search worker (assets/pmkb-search-worker.js) under Node, its files fetched from a folder
# laid out as the built site: the same code the reader's browser runs, asked each query in turn.
WORKER_JS = r"""
import { readFileSync } from "node:fs";
const [site, queries] = [process.argv[2], JSON.parse(process.argv[3])];
globalThis.self = globalThis;
self.location = { href: "http://site.test/assets/pmkb/pmkb-search-worker.js" };
globalThis.fetch = async (url) => new Response(readFileSync(site + new URL(url).pathname));
let handler = null, answered = null;
self.addEventListener = (type, fn) => { handler = fn; };
self.postMessage = (message) => { const done = answered; answered = null; done(message); };
const ask = (message) => new Promise((resolve) => { answered = resolve; handler({ data: message }); });
new Function(readFileSync(site + "/assets/pmkb/pmkb-search-worker.js", "utf8"))();
await ask({ type: 0, data: {} });
const out = [];
for (const query of queries) {
  const result = await ask({ type: 2, data: query });
  out.push(result.data.items.map((item) => [item[0].location, item[0].title.replace(/<\/?mark>/g, "")]));
}
console.log(JSON.stringify(out));
"""

COMMON = "The on-call engineer rolled back the deploy and watched latency on the dashboards until it recovered."
QUALITY_KB = {  # id: title, component, root cause, a word of the write-up
    "2024-05-02-failover": ("Primary failover stalled writes", "postgres", "capacity", "orders"),
    "2024-04-11-replication": ("Replication lag after failover", "postgres", "software-bug", ""),
    "2024-03-14-disk": ("Disk failure on web-1", "web-server", "hardware-failure", "quasilinear"),
    "2024-02-20-cert": ("Certificate expired on the edge", "cdn", "expired-certificate", ""),
    "2024-01-09-lag": ("Consumer lag on the orders topic", "kafka", "software-bug", ""),
    "2023-12-01-config": ("Config push broke the load balancer", "load-balancer", "configuration-change", ""),
    "2023-11-05-spike": ("Web tier overloaded by a traffic spike", "web-server", "capacity", "orders"),
    "2023-10-10-latency": ("Checkout latency doubled", "payments-service", "resource-leak", ""),
}


def worker_answers(tmp_path, monkeypatch, queries: list[str]) -> list[list[tuple[str, str]]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the search worker cannot be run")
    kb_root = tmp_path / "kb"
    (kb_root).mkdir()
    (kb_root / "taxonomy.yml").write_text((ROOT / "taxonomy.yml").read_text("utf-8"), "utf-8")
    for pm_id, (title, component, cause, word) in QUALITY_KB.items():
        write_postmortem(kb_root, pm_id, title=title, date=pm_id[:10], components=component, root_causes=cause)
        path = kb_root / "postmortems" / f"{pm_id}.md"
        path.write_text(path.read_text("utf-8") + f"\n## Resolution\n\n{COMMON} {word}\n", "utf-8")
    kb = load_kb(KBConfig(root=kb_root))
    assert not [p for p in kb.problems if p.is_error], kb.problems
    # Fewer write-ups than the real limit: the common paragraph is in all of them, as in a large KB.
    monkeypatch.setattr(si, "BODY_MAX_DOCS", 3)
    site = tmp_path / "site"
    (site / "assets" / "pmkb").mkdir(parents=True)
    shutil.copy(WORKER, site / "assets" / "pmkb" / WORKER.name)
    si.write_search_index(site, kb.visible(True), kb.taxonomy, lambda pm_id: f"incidents/{pm_id}.html")
    script = tmp_path / "worker.mjs"
    script.write_text(WORKER_JS, "utf-8")
    out = subprocess.run([node, str(script), str(site), json.dumps(queries)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return [[(location, title) for location, title in answer] for answer in json.loads(out.stdout)]


def test_the_worker_finds_an_incident_by_its_title_an_alias_a_component_and_its_words(tmp_path, monkeypatch):
    titles = [fields[0] for fields in QUALITY_KB.values()]
    taxonomy = yaml.safe_load((ROOT / "taxonomy.yml").read_text("utf-8"))
    alias = taxonomy["root_causes"]["configuration-change"]["aliases"][1]  # misconfiguration
    component = taxonomy["components"]["postgres"]["title"]  # PostgreSQL
    component_alias = taxonomy["components"]["kafka"]["aliases"][0]  # event-bus
    queries = titles + [t.lower()[: len(t) // 2] for t in titles] + [
        alias, component, component_alias, "quasilinear", "latency", "certif", "orders"]
    answers = dict(zip(queries, worker_answers(tmp_path, monkeypatch, queries), strict=True))

    def first(query: str) -> str:
        assert answers[query], query
        return answers[query][0][1]

    for title in titles:
        assert first(title) == title  # the whole title, as a reader remembers it
        assert title in [t for _, t in answers[title.lower()[: len(title) // 2]][:3]], title  # half typed
    assert first(alias) == "Config push broke the load balancer"
    assert {t for _, t in answers[component][:2]} == {"Primary failover stalled writes",
                                                     "Replication lag after failover"}
    assert first(component_alias) == "Consumer lag on the orders topic"
    assert [t for _, t in answers["quasilinear"]] == ["Disk failure on web-1"]  # deep in one write-up
    assert first("latency") == "Checkout latency doubled"  # in every write-up, in one title
    assert first("certif") == "Certificate expired on the edge"  # a word being typed
    # In a title and in two write-ups: the title first, the write-ups after it.
    assert [t for _, t in answers["orders"]] == ["Consumer lag on the orders topic", "Primary failover stalled writes",
                                                 "Web tier overloaded by a traffic spike"]
    assert all(location.startswith("incidents/") for answer in answers.values() for location, _ in answer)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(string.printable) + ["é", "_", "\u00a0", "ß", "٣", "Ⅻ"]), max_size=60))
def test_words_of_ascii_text_found_the_fast_way_are_the_patterns(text: str) -> None:
    lowered = text.lower()
    assert si._words(lowered) == si._WORD.findall(lowered)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(list("`*_#>|~[]()<> \t\n\x1c\u00a0\u2003ab") + ["[x](y)", "<b>", "](", "\r\n"]),
                max_size=30))
def test_plain_text_is_markup_dropped_and_whitespace_collapsed(pieces: list[str]) -> None:
    text = "".join(pieces)
    expected = si._SPACE.sub(" ", si._MARKUP.sub(lambda m: m.group(1) or " ", text)).strip()
    assert si.plain(text) == expected
