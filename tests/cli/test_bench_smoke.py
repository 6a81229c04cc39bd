"""The benchmark itself runs: a small KB generated, measured and reported as a table.

Timings are never asserted here: only that the generator writes a valid KB and that
``bench/run.py`` gets to the end and reports every row it promises.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kit import ROOT

BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import run as bench_run  # noqa: E402


def test_generator_is_deterministic_and_valid(tmp_path):
    from postmortem_kb.loader import KBConfig, load_kb

    a = generate.generate(tmp_path / "a", 40, seed=7)
    b = generate.generate(tmp_path / "b", 40, seed=7)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    other = generate.generate(tmp_path / "c", 40, seed=8)
    assert [p.read_bytes() for p in other] != [p.read_bytes() for p in a]

    kb = load_kb(KBConfig(root=tmp_path / "a"))
    assert not kb.problems, kb.problems[:3]
    assert len(kb.postmortems) == 40
    assert len({p.date.year for p in kb.postmortems}) > 5  # spread over the years
    for pm in kb.postmortems:
        assert 1 <= len(pm.components) <= 3
        assert 1 <= len(pm.root_causes) <= 2
        assert 2 <= len(pm.action_items) <= 6
        assert pm.metrics.started_at and pm.metrics.detected_at and pm.metrics.resolved_at
        assert 2500 < len(pm.path.read_bytes()) < 10000
    for name in ("taxonomy.yml", "mkdocs.yml"):
        assert (tmp_path / "a" / name).is_file()


@pytest.mark.slow
def test_run_produces_the_table(tmp_path):
    out = tmp_path / "results.md"
    result = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--sizes", "30,60", "--work", str(tmp_path / "work"),
         "--out", str(out), "--queries", "5", "--command-queries", "2", "--pagefind-sizes", "none",
         "--browser-sizes", "none", "--no-pathological"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    table = out.read_text("utf-8")
    assert table == result.stdout
    assert "## Machine" in table and "| Python |" in table and "| CPU |" in table
    header = next(line for line in table.splitlines() if line.startswith("| Measurement"))
    assert "30 postmortems" in header and "60 postmortems" in header

    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in table.splitlines() if line.startswith("| ") and not line.startswith("| Measurement")}
    for label, _target in bench_run.ROWS.values():
        assert label in rows, f"missing row: {label}"
        cells = rows[label][:2]
        assert all(cells), f"empty cell in {label}: {cells}"
    # The parts that exist on every install give numbers, not "not available".
    for key in ("validate", "build_base", "index_full", "index_one", "search_inproc"):
        label = bench_run.ROWS[key][0]
        assert not any(c.startswith("not available") for c in rows[label][:2]), rows[label]
    data = json.loads(out.with_suffix(".json").read_text("utf-8"))
    assert data["sizes"] == [30, 60] and set(data["rows"]) == set(bench_run.ROWS)


def test_unavailable_parts_become_rows_not_crashes(tmp_path, monkeypatch):
    """A plugin that does not import is reported in its rows; the rest is still measured."""
    monkeypatch.setattr(bench_run, "plugin_available", lambda: "the plugin is switched off for this test")
    table = bench_run.Table([20])
    args = bench_run.argparse.Namespace(seed=1, keep=False, pagefind_sizes={20}, command_sizes=set(),
                                        queries=bench_run.QUERIES[:3], command_queries=[], browser_sizes={20})
    notes: list[str] = []
    bench_run.measure_size(table, 20, tmp_path, args, notes)
    for key in ("build_plugin", "ratio", "html", "pagefind", "rss_ratio", "search_first", "preview"):
        assert table.rows[key].cells[20].startswith("not available: the plugin is switched off"), key
    assert table.value("validate", 20) is not None
    assert table.value("build_base", 20) is not None
    validate_row = next(line for line in table.markdown({"CPU": "x"}, []).splitlines()
                        if line.startswith(f"| {bench_run.ROWS['validate'][0]} |"))
    assert "not available" not in validate_row


def test_pathological_inputs_are_timed_and_stopped(tmp_path, monkeypatch):
    """Each hostile input gets a cell per command; one that runs too long is stopped and says so."""
    slow = "---\ntitle: x\n---\n" + "a" * 10
    monkeypatch.setattr(bench_run, "pathological_cases", lambda: [("quick", slow, False)])
    monkeypatch.setattr(bench_run, "IMPORT_CASES", [("import: quick", "# T\n\ntext\n")])
    rows = bench_run.pathological(tmp_path, timeout=120)
    assert [r["case"] for r in rows] == ["quick", "import: quick"]
    assert rows[0]["validate"].endswith("refused by validation (missing-field)") or "refused" in rows[0]["validate"]
    assert rows[0]["build"].endswith(" s") and rows[1]["import"].endswith(" s") and rows[1]["build"] == ""
    table = bench_run.pathological_markdown(rows, 120)
    assert "| quick | " in table and "stopped after 120 s" in table

    stopped = bench_run.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)
    assert stopped.timed_out and stopped.seconds < 10
    assert bench_run._cell(stopped, 1) == "**> 1 s (stopped)**"
    assert not bench_run.run([sys.executable, "-c", "pass"], timeout=30).timed_out


def test_fast_schema_check_agrees_with_jsonschema(tmp_path):
    """The loader's short cut (fastjsonschema says "valid", jsonschema explains failures) must
    never call valid what jsonschema refuses, or the other way round."""
    import copy
    import random

    from postmortem_kb import loader
    from postmortem_kb.frontmatter import read_source, to_json_value

    severities = ("SEV1", "SEV2", "SEV3", "SEV4")
    quick, full = loader._quick_check(severities), loader._validator(severities)
    docs = [to_json_value(read_source(p.read_bytes(), str(p)).front_matter)
            for p in generate.generate(tmp_path, 30, seed=3)]
    bad = [None, 0, 3.0, 3.5, True, "", " ", "x", [], {}, ["a"], [1], [None], [{}], [{"title": ""}],
           "2024-02-30", "2024-2-3", "2024-01-01", "Bad Id", "a--b", "A" * 201, "A" * 5001, ["x"] * 51,
           "SEV1", "sev1", "draft", "2024-01-01T10:00", "\u0663", {"a": 1}]
    keys = ["id", "title", "date", "severity", "status", "authors", "components", "root_causes", "trigger",
            "tags", "related", "timezone", "started_at", "action_items", "unknown", "item"]
    rnd = random.Random(11)
    agreed = valid = 0
    for doc in docs:
        for _ in range(40):
            broken = copy.deepcopy(doc)
            key = rnd.choice(keys)
            if key == "item":
                rnd.choice(broken["action_items"])[rnd.choice(["due", "title", "type", "status", "owner",
                                                              "ticket", "action", "zzz"])] = rnd.choice(bad)
            elif rnd.random() < 0.15:
                broken.pop(key, None)
            else:
                broken[key] = rnd.choice(bad)
            expected = not list(full.iter_errors(broken))
            assert quick(broken) == expected, broken
            agreed += 1
            valid += expected
    assert agreed == 1200 and 0 < valid < agreed  # both answers were exercised


def test_held_html_gives_the_same_site(tmp_path, monkeypatch):
    """Keeping the templates' HTML out of Markdown (site/rawhtml.py) is a speed-up only: the
    sample KB builds to the same pages with it as without it (blank lines aside)."""
    import shutil

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from postmortem_kb.site import rawhtml

    kb = tmp_path / "kb"
    generate.generate(kb, 25, seed=5)
    shutil.copytree(ROOT / "postmortems", kb / "postmortems" / "sample")
    sites = {}
    monkeypatch.chdir(kb)
    for mode in ("held", "not held"):
        if mode == "not held":
            monkeypatch.setattr(rawhtml.HtmlHold, "hold", lambda self, markdown, fence=None: markdown)
        sites[mode] = tmp_path / mode.replace(" ", "-")
        build(load_config(str(kb / "mkdocs.yml"), site_dir=str(sites[mode])))

    def pages(site):
        return {p.relative_to(site).as_posix(): [line for line in p.read_text("utf-8").splitlines() if line.strip()]
                for p in site.rglob("*.html")}

    held, plain = pages(sites["held"]), pages(sites["not held"])
    assert held.keys() == plain.keys() and len(held) > 60
    assert [name for name in held if held[name] != plain[name]] == []
    assert not any("pmkbhtml" in line for lines in held.values() for line in lines)
