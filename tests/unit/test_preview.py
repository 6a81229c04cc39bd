"""The writer's preview (preview.py): after a save, the pages that show the saved postmortem are
written again, and only those; anything that changes the whole site rebuilds it."""

from __future__ import annotations

import os
import time

import pytest

from kit import ROOT, site_config, write_postmortem
from postmortem_kb.preview import Preview


@pytest.fixture()
def kb(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    (tmp_path / "taxonomy.yml").write_text((ROOT / "taxonomy.yml").read_text("utf-8"), "utf-8")
    (tmp_path / "mkdocs.yml").write_text(site_config("Preview KB"), "utf-8")
    (tmp_path / "docs").mkdir()
    write_postmortem(tmp_path, "2024/2024-03-14-disk", title="Disk failure on web-1")
    write_postmortem(tmp_path, "2024/2024-04-02-cert", title="Expired certificate at the edge", date="2024-04-02",
                     root_causes="expired-certificate", components="cdn")
    write_postmortem(tmp_path, "2023/2023-01-09-dns", title="DNS outage", date="2023-01-09",
                     root_causes="configuration-change", components="dns-resolver")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def html(site, stem):
    return next(site.rglob(f"{stem}*.html")).read_text("utf-8")


def save(path, old, new):
    """A writer's save: new text, and a modification time that surely differs."""
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")
    later = time.time() + 5
    os.utime(path, (later, later))


def test_a_save_rewrites_only_the_pages_that_show_the_postmortem(kb):
    site = kb / "site"
    preview = Preview(kb / "mkdocs.yml", site)
    preview.build()
    assert preview.refresh() == []  # nothing changed
    untouched = {p: p.stat().st_mtime_ns for p in site.rglob("*.html")}
    cert = kb / "postmortems" / "2024" / "2024-04-02-cert.md"
    save(cert, "title: Expired certificate at the edge", "title: Expired TLS certificate on the CDN")

    written = preview.refresh()
    assert written and written != ["*"]
    assert "Expired TLS certificate on the CDN" in html(site, "2024-04-02-cert")
    listing = (site / "incidents" / "index.html").read_text("utf-8")
    assert "Expired TLS certificate on the CDN" in listing and "Expired certificate at the edge" not in listing
    assert "Expired TLS certificate on the CDN" in (site / "index.html").read_text("utf-8")
    term = next(site.rglob("expired-certificate.html")).read_text("utf-8")
    assert "Expired TLS certificate on the CDN" in term
    # Pages that do not show it are left as they were.
    rewritten = {p for p, mtime in untouched.items() if p.stat().st_mtime_ns != mtime}
    assert site / "incidents" / "2023-01-09-dns.html" not in rewritten
    assert next(site.rglob("configuration-change.html")) not in rewritten
    assert site / "incidents" / "2024-03-14-disk.html" not in rewritten
    assert next(site.rglob("hardware-failure.html")) not in rewritten
    assert preview.full_builds == 1


def test_a_new_term_gets_its_page_and_the_old_term_page_drops_the_incident(kb):
    site = kb / "site"
    preview = Preview(kb / "mkdocs.yml", site)
    preview.build()
    dns = kb / "postmortems" / "2023" / "2023-01-09-dns.md"
    save(dns, "components: [dns-resolver]", "components: [dns-resolver, load-balancer]")
    save(dns, "root_causes: [configuration-change]", "root_causes: [capacity]")
    preview.refresh()
    assert "DNS outage" in next(site.rglob("load-balancer.html")).read_text("utf-8")
    assert "DNS outage" in next(site.rglob("capacity.html")).read_text("utf-8")
    assert not list(site.rglob("configuration-change.html"))  # nobody's root cause any more: no page
    assert preview.full_builds == 1


def test_changes_to_the_whole_kb_rebuild_the_site(kb):
    preview = Preview(kb / "mkdocs.yml", kb / "site")
    preview.build()
    write_postmortem(kb, "2024/2024-05-01-new", title="A new incident", date="2024-05-01")
    assert preview.refresh() == ["*"] and "A new incident" in html(kb / "site", "2024-05-01-new")
    taxonomy = kb / "taxonomy.yml"
    save(taxonomy, "title: Hardware failure", "title: Broken hardware")
    assert preview.refresh() == ["*"] and preview.full_builds == 3
    assert "Broken hardware" in html(kb / "site", "2024-03-14-disk")


def test_a_half_written_postmortem_does_not_stop_the_preview(kb):
    site = kb / "site"
    preview = Preview(kb / "mkdocs.yml", site)
    preview.build()
    disk = kb / "postmortems" / "2024" / "2024-03-14-disk.md"
    save(disk, "severity: SEV2", "severity: [unfinished")
    preview.refresh()  # logs the problem, keeps serving; the postmortem is left out, as in a full build
    assert "Disk failure on web-1" not in (site / "incidents" / "index.html").read_text("utf-8")
    assert not list(site.rglob("2024-03-14-disk*.html"))
    save(disk, "severity: [unfinished", "severity: SEV1")
    preview.refresh()
    assert "Disk failure on web-1" in (site / "incidents" / "index.html").read_text("utf-8")
    assert "SEV1" in html(site, "2024-03-14-disk")
    assert preview.full_builds == 1
