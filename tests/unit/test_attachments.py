"""Images and files attached to postmortems: published beside the incident pages when a shown
write-up links them, refused (and reported) when missing, unsafe or outside the KB."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from kit import ROOT
from kit.site import build_site, parse, resolve, write_site
from postmortem_kb import attachments
from postmortem_kb.attachments import Attachment, Refusal, attachment_problems, body_links, find_attachment
from postmortem_kb.cli import cli
from postmortem_kb.sanitize import sanitize_html

# A PNG signature and the start of its IHDR chunk: enough for anything that sniffs the type.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
LOG = b"10:41:02 haproxy[812]: backend web has no server available!\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

HEAD = """\
---
title: {title}
date: 2024-02-13
severity: SEV2
status: {status}
components: [web-server]
root_causes: [hardware-failure]
timezone: "+00:00"
---
"""

INCIDENT = HEAD.format(title="Checkout latency after the HAProxy reload", status="published") + """
## Summary

The p99 latency of checkout tripled for forty minutes.

![p99 latency](img/latency.png "p99 over the incident")

<p><img alt="p99, raw HTML" src="img/latency.png" width="400"></p>

The [full log](logs/haproxy.txt#L1) and the [error rate][errors] show when it started.

[errors]: <img/error rate.png>

## Timeline

- 10:40 [start] The reload went out.
- 10:45 [detected] The alert fired.
- 11:20 [resolved] The old config was back.

## Root cause

A bad reload. The architecture diagram is ![the diagram](img/diagram.svg), our last year's graph is
![last year](../2023/img/shared.png) and this one was never saved: ![lost graph](img/nope.png).

```markdown
Quoting a write-up: ![not a link](img/in-code.png)
```
"""

DRAFT = HEAD.format(title="Half-written thoughts on the reload", status="draft") + """
## Summary

A draft with its own graph: ![draft graph](img/draft-only.png)

## Root cause

Still looking.
"""


def line_of(text: str, needle: str) -> int:
    """The file line on which ``needle`` first appears (1-based)."""
    before = text.index(needle)
    return text.count("\n", 0, before) + 1


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    pms = root / "postmortems"
    (pms / "2024" / "img").mkdir(parents=True)
    (pms / "2024" / "logs").mkdir()
    (pms / "2023" / "img").mkdir(parents=True)
    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    (pms / "2024" / "2024-02-13-x.md").write_text(INCIDENT, encoding="utf-8")
    (pms / "2024" / "2024-02-14-draft.md").write_text(DRAFT, encoding="utf-8")
    (pms / "2024" / "img" / "latency.png").write_bytes(PNG)
    (pms / "2024" / "img" / "error rate.png").write_bytes(PNG + b"errors")
    (pms / "2024" / "img" / "diagram.svg").write_bytes(SVG)
    (pms / "2024" / "img" / "draft-only.png").write_bytes(PNG + b"draft")
    (pms / "2024" / "img" / "stray.png").write_bytes(PNG + b"stray")
    (pms / "2024" / "img" / "in-code.png").write_bytes(PNG + b"code")
    (pms / "2024" / "img" / ".secret.txt").write_bytes(b"hidden")
    (pms / "2023" / "img" / "shared.png").write_bytes(PNG + b"2023")
    (pms / "2024" / "logs" / "haproxy.txt").write_bytes(LOG)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(PNG + b"secret")
    (pms / "2024" / "img" / "outside.png").symlink_to(outside / "secret.png")
    return root


def snapshot(folder: Path, skip: Path) -> dict[str, str]:
    """Every file under ``folder`` but ``skip``, with a hash of its content."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if Path(dirpath, d) != skip]
        for name in filenames:
            path = Path(dirpath, name)
            data = b"link" if path.is_symlink() else path.read_bytes()
            found[path.relative_to(folder).as_posix()] = hashlib.sha1(data).hexdigest()
    return found


@pytest.mark.parametrize("directory_urls", [True, False])
def test_attachments_are_published_and_linked(kb: Path, tmp_path: Path, directory_urls: bool):
    write_site(kb, directory_urls=directory_urls)
    before = snapshot(tmp_path, kb / "site")
    site = build_site(kb)  # strict: a link MkDocs cannot resolve fails the build
    assert snapshot(tmp_path, kb / "site") == before, "the build wrote outside the site folder"

    page_path = site / "incidents" / ("2024-02-13-x/index.html" if directory_urls else "2024-02-13-x.html")
    page = parse(page_path)
    images = {attrs.get("alt", ""): url for tag, url, attrs in page.links if tag == "img"}
    pms = kb / "postmortems"
    for alt, original in (("p99 latency", "2024/img/latency.png"), ("p99, raw HTML", "2024/img/latency.png"),
                          ("last year", "2023/img/shared.png")):
        assert alt in images, f"the image {alt!r} is not on the page"
        target, _ = resolve(site, page_path, images[alt])
        assert target.is_file(), f"{images[alt]} does not resolve to a file of the site"
        assert target.read_bytes() == (pms / original).read_bytes()
        assert target.is_relative_to(site / "incidents" / "files")

    links = {url for tag, url, _ in page.links if tag == "a"}
    for name, original in (("haproxy.txt", "2024/logs/haproxy.txt"), ("error%20rate.png", "2024/img/error rate.png")):
        url = next((u for u in links if name in u), None)
        assert url is not None, f"no link to {name}: {sorted(links)}"
        target, fragment = resolve(site, page_path, url)
        assert target.read_bytes() == (pms / original).read_bytes()
        if name == "haproxy.txt":
            assert fragment == "L1"

    published = {p.name for p in site.rglob("*") if p.is_file()}
    for name in ("diagram.svg", "draft-only.png", "stray.png", "outside.png", "secret.png", ".secret.txt",
                 "in-code.png", "nope.png"):
        assert name not in published, f"{name} was published"
    assert not any(p.suffix == ".svg" for p in (site / "incidents").rglob("*"))
    # What could not be linked reads as its text; the quoted Markdown stays as written.
    text = page.visible_text
    assert "the diagram" in text and "lost graph" in text
    assert "![not a link](img/in-code.png)" in text
    assert not any(u.endswith((".svg", "nope.png", "outside.png", ".secret.txt")) for _, u, _ in page.links)


def test_drafts_option_publishes_the_drafts_attachments(kb: Path):
    write_site(kb, drafts=True)
    site = build_site(kb)
    assert (site / "incidents" / "files" / "2024" / "img" / "draft-only.png").read_bytes() == PNG + b"draft"
    assert not (site / "incidents" / "files" / "2024" / "img" / "stray.png").exists()


def test_validate_reports_each_link_the_site_cannot_publish(kb: Path, runner):
    result = runner.invoke(cli, ["--kb", str(kb), "validate"])
    assert result.exit_code == 0, result.output  # warnings only
    source = "postmortems/2024/2024-02-13-x.md"
    reported = {(int(line.split(":")[1]), line) for line in result.output.splitlines()
                if line.startswith(source) and ": missing-attachment: " in line}
    lines = {n for n, _ in reported}
    for link in ("img/diagram.svg", "img/nope.png"):
        assert line_of(INCIDENT, link) in lines, f"{link} not reported on its line: {result.output}"
    assert len(reported) == 2, result.output
    nope = next(text for n, text in reported if "nope.png" in text)
    assert nope == (f"{source}:{line_of(INCIDENT, 'img/nope.png')}: missing-attachment: warning: "
                    "`img/nope.png` does not exist (hint: add the file next to the postmortem or fix the path)")
    svg = next(text for n, text in reported if "diagram.svg" in text)
    assert "scripts" in svg
    assert "2024-02-14-draft.md" not in result.output  # its graph is there


def test_a_file_over_the_size_limit_is_reported_and_not_published(kb: Path, runner, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_ATTACHMENT_BYTES", len(LOG) - 1)
    result = runner.invoke(cli, ["--kb", str(kb), "validate"])
    big = [line for line in result.output.splitlines() if "haproxy.txt" in line]
    assert len(big) == 1 and "missing-attachment" in big[0] and "MiB" in big[0], result.output
    assert big[0].startswith(f"postmortems/2024/2024-02-13-x.md:{line_of(INCIDENT, 'logs/haproxy.txt')}:")
    write_site(kb)
    site = build_site(kb)
    assert not list(site.rglob("haproxy.txt"))
    assert "full log" in parse(site / "incidents" / "2024-02-13-x" / "index.html").visible_text


# The rules, one by one, on the core function.

def test_find_attachment_rules(tmp_path: Path):
    root = tmp_path / "kb"
    pms = root / "postmortems"
    (pms / "2024" / "img").mkdir(parents=True)
    (pms / "2024" / "img" / "a.PNG").write_bytes(PNG)
    (pms / "2024" / "page.html").write_text("<script>alert(1)</script>")
    (pms / "2024" / "notes").write_text("no extension")
    (root / "taxonomy.txt").write_text("in the KB, outside postmortems")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.png").write_bytes(PNG)
    (pms / "2024" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (pms / "2024" / "inside.png").symlink_to(pms / "2024" / "img" / "a.PNG")
    folder = pms / "2024"

    def find(link: str):
        return find_attachment(link, folder, pms, root)

    assert find("img/a.PNG") == Attachment(pms / "2024" / "img" / "a.PNG", "2024/img/a.PNG")
    assert find("./img/../img/a.PNG") == Attachment(pms / "2024" / "img" / "a.PNG", "2024/img/a.PNG")
    assert isinstance(find("inside.png"), Attachment)  # a symlink within the KB, as for postmortems
    for link in ("page.html", "notes", "../../taxonomy.txt", "../../../elsewhere/b.png", "linked/b.png",
                 "img\\a.PNG", "%2Fetc%2Fpasswd.txt", "img/a.PNG%00.png", "img/missing.png", "img"):
        assert isinstance(find(link), Refusal), link


UNSAFE = HEAD.format(title="Links that reach for secrets", status="published") + """
## Summary

{link}

## Root cause

r
"""


@pytest.mark.parametrize("link,setup", [
    ("![g](img/outside.png)", "outside"),          # a symlink to a file outside the KB
    ("![g](img/config.png)", "git-config"),         # a symlink to .git/config, inside the KB
    ("![g](img/env.txt)", "dot-env"),               # a symlink to a hidden file in postmortems/
    ("![g](img/draft.png)", "draft-source"),        # a symlink to a postmortem source
    ("![g](img/key.png)", "other-type"),            # a symlink to a type that is not published
    ("![g](img/hidden-dir.png)", "hidden-folder"),  # a symlink into a hidden folder
    ("[n](img/.secret.txt)", "hidden-link"),        # a hidden file named by the link
    ("[n](.private/notes.txt)", "hidden-link"),
    ("![g](../../taxonomy.txt)", "none"),           # outside postmortems/ by ../
    ("![g](linked/b.png)", "linked-folder"),        # a symlinked folder
    ("<img src=\"img/config.png\">", "git-config"),
    ("[n][ref]\n\n[ref]: img/env.txt", "dot-env"),
])
def test_links_that_reach_for_what_is_never_published_are_errors(tmp_path: Path, runner, link, setup):
    root = tmp_path / "kb"
    pms = root / "postmortems"
    img = pms / "2024" / "img"
    img.mkdir(parents=True)
    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[http] extraheader = AUTHORIZATION: basic c2VjcmV0")
    (root / "taxonomy.txt").write_text("x")
    (img / ".secret.txt").write_text("hidden")
    (pms / ".env").write_text("TOKEN=secret")
    (pms / ".hidden").mkdir()
    (pms / ".hidden" / "g.png").write_bytes(PNG)
    (pms / "2024" / "private.key").write_text("key")
    (pms / "2024" / "2024-02-14-draft.md").write_text(DRAFT)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "b.png").write_bytes(PNG)
    links = {"outside": ("outside.png", elsewhere / "b.png"), "git-config": ("config.png", root / ".git" / "config"),
             "dot-env": ("env.txt", pms / ".env"), "draft-source": ("draft.png", pms / "2024" / "2024-02-14-draft.md"),
             "other-type": ("key.png", pms / "2024" / "private.key"),
             "hidden-folder": ("hidden-dir.png", pms / ".hidden" / "g.png")}
    if setup in links:
        name, target = links[setup]
        (img / name).symlink_to(target)
    if setup == "linked-folder":
        (pms / "2024" / "linked").symlink_to(elsewhere, target_is_directory=True)
    text = UNSAFE.format(link=link)
    (pms / "2024" / "2024-02-13-x.md").write_text(text)
    result = runner.invoke(cli, ["--kb", str(root), "validate"])
    assert result.exit_code == 1, result.output
    line = text.count("\n", 0, text.index(link.split("\n")[-1])) + 1  # a reference: its definition's line
    assert f"postmortems/2024/2024-02-13-x.md:{line}: unsafe-attachment: " in result.output, result.output


def test_links_inside_code_and_comments_are_not_links():
    text = ("`![a](x.png)` <!-- ![b](y.png) -->\n\n```\n<img src=\"z.png\">\n```\n\n"
            "[![thumb](t.png)](t.png)\n\n[^1]: a footnote\n[note]: not a definition at all\n")
    assert [(link.url, link.kind) for link in body_links(text)] == [("t.png", "image"), ("t.png", "link")]


def test_problems_skip_postmortems_outside_the_postmortems_folder(tmp_path: Path):
    (tmp_path / "postmortems").mkdir()
    problems = attachment_problems("![x](nope.png)", 5, tmp_path / "elsewhere" / "x.md",
                                   tmp_path / "postmortems", tmp_path, "elsewhere/x.md")
    assert problems == []
    problems = attachment_problems("text\n\n![x](nope.png)", 5, tmp_path / "postmortems" / "x.md",
                                   tmp_path / "postmortems", tmp_path, "postmortems/x.md")
    assert [(p.line, p.code, p.severity) for p in problems] == [(7, "missing-attachment", "warning")]


def test_the_sanitizer_keeps_relative_image_sources():
    html = sanitize_html('<p><img src="../files/2024/img/latency.png" alt="p99"> '
                         '<a href="../files/2024/logs/haproxy.txt#L1">log</a></p>')
    assert 'src="../files/2024/img/latency.png"' in html
    assert 'href="../files/2024/logs/haproxy.txt#L1"' in html


def test_a_link_to_a_postmortem_file_that_does_not_exist_is_reported(kb_root, runner):
    from kit import write_postmortem

    path = write_postmortem(kb_root, "2024/linker")
    path.write_text(path.read_text() + "\nSee [the older one](../2023/gone.md) and [this](linker.md).\n")
    result = runner.invoke(cli, ["--kb", str(kb_root), "validate"])
    lines = [l for l in result.stdout.splitlines() if "broken-link" in l]
    last = len(path.read_text().splitlines())
    assert lines == [f"postmortems/2024/linker.md:{last}: broken-link: warning: `../2023/gone.md` does not exist "
                     "(hint: fix the path to the other postmortem)"]
