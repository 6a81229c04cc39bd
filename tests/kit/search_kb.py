"""Small KBs for the search tests (no tests here): postmortems with chosen words, facets and dates."""

from __future__ import annotations

import shutil
from pathlib import Path

from kit import ROOT  # noqa: E402

TEMPLATE = """\
---
title: "{title}"
date: {date}
severity: {severity}
status: {status}
components: [{components}]
root_causes: [{root_causes}]
tags: [{tags}]
timezone: "+00:00"
action_items:
  - title: {action_title}
    type: preventive
    action: {action}
    owner: Sam
    status: {action_status}
    due: 2030-01-01
---

## Summary

{summary}

## Timeline

- 10:00 [start] Something broke.
- 10:{detect:02d} [detected] An alert fired.
- 11:30 [resolved] It was fixed.

## Root cause

{root_cause_text}
"""


def postmortem_text(**fields) -> str:
    values = {"title": "Disk failure on web-1", "date": "2024-03-14", "severity": "SEV2", "status": "published",
              "components": "web-server", "root_causes": "hardware-failure", "tags": "disk",
              "action_title": "Add an alert on disk latency", "action": "add-monitoring", "action_status": "open",
              "summary": "The service was down for a while and we fixed it.", "detect": 5,
              "root_cause_text": "A part wore out after years of service."}
    values.update(fields)
    return TEMPLATE.format(**values)


def make_kb(tmp: Path) -> Path:
    root = tmp / "kb"
    (root / "postmortems").mkdir(parents=True)
    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    return root


def write(root: Path, name: str, **fields) -> Path:
    path = root / "postmortems" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(postmortem_text(**fields), encoding="utf-8")
    return path


def sample_kb(tmp: Path) -> Path:
    """Six incidents across components, root causes, severities and years."""
    root = make_kb(tmp)
    write(root, "pg-pool", title="Checkout down: Postgres connection pool exhausted", date="2023-06-01",
          severity="SEV1", components="postgres, payments-service", root_causes="capacity", tags="pgbouncer",
          action="capacity-planning", detect=30,
          summary="The connection pool of the primary database ran out during the sale; checkout failed.")
    write(root, "pg-wraparound", title="Writes refused by transaction wraparound", date="2024-12-31",
          severity="SEV1", components="postgres", root_causes="software-bug", tags="vacuum",
          summary="Autovacuum fell behind and the database refused writes to avoid wraparound.")
    write(root, "redis-evict", title="Sessions evicted from Redis", date="2024-01-01", severity="SEV2",
          components="redis, auth-service", root_causes="configuration-change", tags="maxmemory",
          summary="A smaller maxmemory made Redis evict sessions; users were logged out.")
    write(root, "lb-maxconn", title="Load balancer maxconn set to 256", date="2022-12-31", severity="SEV2",
          components="load-balancer", root_causes="configuration-change", tags="haproxy",
          summary="A template default limited every load balancer to 256 connections.", action_status="done")
    write(root, "cert-expiry", title="Wildcard certificate expired", date="2025-01-01", severity="SEV3",
          components="cdn", root_causes="expired-certificate", tags="tls",
          summary="The wildcard certificate expired on a Sunday and browsers refused the site.")
    write(root, "draft-dns", title="Resolver timeouts under load", date="2024-05-05", severity="SEV4",
          status="draft", components="dns-resolver", root_causes="dns", tags="coredns",
          summary="CoreDNS pods timed out answering queries during a deploy.")
    return root
