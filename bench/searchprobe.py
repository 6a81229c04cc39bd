"""What the first search of a reader costs: a built site in Chromium, a query typed, bytes counted.

    python bench/searchprobe.py SITE_DIR "expired certificate" [--expect TITLE] [--file]

Over http the site is served by a local server that counts the bytes it sends for each path;
the reader opens the home page, types the query into the theme's search box one key at a
time (each key is a query, as for a real reader) and waits for the results. The bytes counted
are everything search needed: the theme's search index and worker, and any shard or script
under ``search/`` or ``assets/pmkb/``; the page itself, its CSS and the theme's bundle are
loaded whether or not anyone searches, and are left out. With ``--file`` the site is opened
from disk (``file://``) and the probe only says whether search answered.

Prints one JSON object: bytes, requests, seconds to the first result, the number of results,
the first result's title and the page's first errors (uncaught, or in the console); or
``{"error": ...}``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SEARCH_PATHS = ("/search/", "/workers/search", "/assets/pmkb/pmkb-search")


def is_search(path: str) -> bool:
    return any(part in path for part in SEARCH_PATHS)


class CountingHandler(SimpleHTTPRequestHandler):
    sent: list[tuple[str, int]]  # set per server

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def copyfile(self, source, outputfile):
        start = source.tell()
        super().copyfile(source, outputfile)
        self.sent.append((self.path.split("?", 1)[0], source.tell() - start))


def probe(site: Path, query: str, expect: str | None = None, from_file: bool = False,
          timeout: float = 60.0) -> dict:
    from playwright.sync_api import sync_playwright

    sent: list[tuple[str, int]] = []
    server = None
    if from_file:
        url = (site / "index.html").resolve().as_uri()
    else:
        handler = type("Handler", (CountingHandler,), {"sent": sent})
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text[:200]) if m.type == "error" else None)
            page.goto(url, wait_until="load")
            box = page.locator("input.md-search__input")
            box.click()
            start = time.perf_counter()
            results = page.locator(".md-search-result__item")
            try:
                box.type(query, delay=60, timeout=timeout * 1000)  # a page busy building an index blocks typing
                results.first.wait_for(state="attached", timeout=timeout * 1000)
            except Exception:  # noqa: BLE001 - no result is an answer, not a crash
                if time.perf_counter() - start >= timeout:
                    return {"error": f"no result for {query!r} within {timeout:.0f} s"}
                meta = page.locator(".md-search-result__meta").first
                text = meta.inner_text() if meta.count() else ""
                return {"error": f"no result for {query!r} ({text.strip() or 'no answer'})"
                                 + (f"; page errors: {errors[:2]}" if errors else "")}
            seconds = time.perf_counter() - start
            page.wait_for_timeout(800)  # let the last keys' loads finish: they are part of the cost
            titles = [t.strip() for t in page.locator(".md-search-result__item h1").all_inner_texts()]
            count_text = page.locator(".md-search-result__meta").first.inner_text().strip()
            browser.close()
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    found = [(path, size) for path, size in sent if is_search(path)]
    answer = {"seconds": round(seconds, 2), "results": count_text, "first": titles[0] if titles else "",
              "shown": len(titles), "errors": errors[:3]}
    if expect is not None:
        answer["expected_found"] = any(expect in t for t in titles)
    if not from_file:
        answer["bytes"] = sum(size for _, size in found)
        answer["requests"] = len(found)
        answer["largest"] = max(found, key=lambda f: f[1]) if found else None
    return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("query")
    parser.add_argument("--expect", help="a title the results must include")
    parser.add_argument("--file", action="store_true", help="open the site from disk (file://)")
    args = parser.parse_args(argv)
    try:
        answer = probe(args.site, args.query, args.expect, args.file)
    except Exception as exc:  # noqa: BLE001 - the benchmark reports it as a row
        answer = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"}
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
