"""`pmkb export` gives the site's own URLs, and its CSV (and `pmkb stats`'s) is safe to open."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit.search_kb import postmortem_text
from postmortem_kb.cli import cli


def new_kb(tmp_path: Path, directory_urls: bool) -> Path:
    root = tmp_path / "kb"
    result = CliRunner().invoke(cli, ["init", str(root)])
    assert result.exit_code == 0, result.output
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "use_directory_urls: false" in text
    if directory_urls:
        config.write_text(text.replace("use_directory_urls: false", "use_directory_urls: true"), encoding="utf-8")
    return root


@pytest.mark.parametrize("directory_urls", [False, True])
def test_export_urls_are_the_pages_the_build_writes(tmp_path, directory_urls):
    root = new_kb(tmp_path, directory_urls)
    runner = CliRunner()
    result = runner.invoke(cli, ["--kb", str(root), "build"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--kb", str(root), "export"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)["postmortems"]
    assert records
    site = root / "site"
    for record in records:
        url = record["url"]
        assert not url.startswith(("http", "/")), url
        page = site / url / "index.html" if url.endswith("/") else site / url
        assert page.is_file(), f"{url} is not a page of the built site"
        assert url.endswith("/") == directory_urls
    # The site's own catalog.json says the same.
    published = json.loads((site / "catalog.json").read_text(encoding="utf-8"))["postmortems"]
    assert [r["url"] for r in published] == [r["url"] for r in records]


def test_site_url_makes_them_absolute(tmp_path):
    root = new_kb(tmp_path, False)
    result = CliRunner().invoke(cli, ["--kb", str(root), "export", "--format", "csv",
                                      "--site-url", "https://pm.example.com/kb"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["url"].startswith("https://pm.example.com/kb/incidents/") for r in rows)
    assert all(r["url"].endswith(".html") for r in rows)


def test_csv_cells_and_list_parts_cannot_be_formulas(tmp_path):
    root = new_kb(tmp_path, False)
    text = postmortem_text(title='=HYPERLINK(\\"http://x\\",\\"y\\")', action_title="'@SUM(A1)'")
    authors = 'authors: ["Ana", "=cmd|\' /c calc\'!A0", "+1", "-2", "@x"]\n'
    text = text.replace("---\n\n## Summary", authors + "---\n\n## Summary")
    (root / "postmortems" / "2024").mkdir(parents=True, exist_ok=True)
    (root / "postmortems" / "2024" / "formula.md").write_text(text, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["--kb", str(root), "validate", "--lenient"]).exit_code == 0
    result = runner.invoke(cli, ["--kb", str(root), "export", "--format", "csv", "--lenient"])
    assert result.exit_code == 0, result.output
    row = next(r for r in csv.DictReader(io.StringIO(result.stdout)) if r["id"] == "formula")
    assert row["title"].startswith("'=")
    assert row["authors"] == "Ana;'=cmd|' /c calc'!A0;'+1;'-2;'@x"
    for line in result.stdout.splitlines()[1:]:  # every text cell is quoted
        assert line.startswith('"')
    result = runner.invoke(cli, ["--kb", str(root), "stats", "--format", "csv", "--lenient"])
    assert result.exit_code == 0, result.output
    cells = [c for r in csv.reader(io.StringIO(result.stdout)) for c in r]
    assert not [c for c in cells if c.lstrip(" ").startswith(("=", "+", "@", "\t", "\r"))]
