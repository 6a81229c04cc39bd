"""Does the similarity index still answer exactly as before, and how much faster is it?

    python bench/similarity_check.py 1000             # generate 1,000 postmortems, compare, time
    python bench/similarity_check.py --kb DIR         # an existing KB (postmortems/ and taxonomy.yml)
    python bench/similarity_check.py 1000 --cap 7     # the same with a small POSTING_CAP in both

The old implementation is ``plugins/postmortem_kb/similarity.py`` as of a git revision
(``--old main`` by default), loaded next to the current one as
``postmortem_kb._similarity_old``. Both index the same postmortems and answer the same
questions: ``related(pm, limit=5)`` for every indexed incident and for a few held out of
the index, ``similar_to_text`` for titles, word bags and taxonomy phrases, the browser
index as JSON, and the same on tiny KBs (0 to 5 postmortems). Every answer must be
identical: ids, order, scores (to the float), reasons, explicit. It prints the CPU time
(``time.process_time``) of building the index and of ``related`` for every incident, for
each implementation, and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

from postmortem_kb import similarity as new  # noqa: E402
from postmortem_kb.kb import KBConfig  # noqa: E402
from postmortem_kb.loader import load_kb  # noqa: E402


def load_old(rev: str) -> ModuleType:
    """similarity.py as of ``rev``, as a module of the postmortem_kb package (its relative imports work)."""
    source = subprocess.run(["git", "show", f"{rev}:plugins/postmortem_kb/similarity.py"], cwd=REPO,
                            check=True, capture_output=True, text=True).stdout
    name = "postmortem_kb._similarity_old"
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "postmortem_kb"
    sys.modules[name] = module
    exec(compile(source, f"{rev}:similarity.py", "exec"), module.__dict__)
    return module


def answer(relations: list) -> list[tuple]:
    return [(r.postmortem.id, r.score, round(r.score, 9), list(r.reasons), r.explicit) for r in relations]


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    gc.collect()
    start = time.process_time()
    result = fn(*args)
    return result, time.process_time() - start


def texts_for(pms: list, taxonomy: Any, rng: random.Random, count: int) -> list[str]:
    """Titles, bags of the KB's own words, taxonomy phrases, mixtures and oddities."""
    texts = ["", "   ", "--- ... ___", "the and of incident postmortem", "10:44 2024 42",
             "completely unrelated gardening"]
    sample = rng.sample(pms, min(len(pms), count)) if pms else []
    texts += [pm.title for pm in sample]
    vocabulary = sorted({word for pm in sample for _, word in new.words(new.postmortem_text(pm))})
    phrases = []
    for facet in ("root_causes", "components", "actions"):
        for term in taxonomy.terms.get(facet, {}).values():
            phrases += [term.title, term.slug, *term.aliases]
    for _ in range(count):
        bag = rng.sample(vocabulary, min(len(vocabulary), rng.randint(1, 12)))
        texts.append(" ".join(bag))
    for _ in range(count):
        picked = rng.sample(phrases, min(len(phrases), rng.randint(1, 3))) if phrases else []
        texts.append(", ".join(picked))
        mixed = picked + rng.sample(vocabulary, min(len(vocabulary), rng.randint(0, 6)))
        rng.shuffle(mixed)
        texts.append(" ".join(mixed).upper() if rng.random() < 0.3 else " ".join(mixed))
    return texts


def compare(label: str, old_index: Any, new_index: Any, queries: list, texts: list[str]) -> int:
    """Differences between the two indexes' answers (printed, at most a few)."""
    differences = 0

    def differ(what: str, a: Any, b: Any) -> None:
        nonlocal differences
        differences += 1
        if differences <= 5:
            print(f"  DIFFERENCE [{label}] {what}:\n    old {a!r}\n    new {b!r}")

    for pm in queries:
        for limit in (5, 1):
            a, b = answer(old_index.related(pm, limit=limit)), answer(new_index.related(pm, limit=limit))
            if a != b:
                differ(f"related({pm.id}, limit={limit})", a, b)
    for text in texts:
        a, b = answer(old_index.similar_to_text(text)), answer(new_index.similar_to_text(text))
        if a != b:
            differ(f"similar_to_text({text!r})", a, b)

    def url(pm_id: str) -> str:
        return pm_id

    a_json = json.dumps(old_index.browser_index(url), sort_keys=True)
    b_json = json.dumps(new_index.browser_index(url), sort_keys=True)
    if a_json != b_json:
        at = next((k for k, (x, y) in enumerate(zip(a_json, b_json)) if x != y), min(len(a_json), len(b_json)))
        differ("browser_index JSON", a_json[max(0, at - 80):at + 80], b_json[max(0, at - 80):at + 80])
    return differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=1000, help="postmortems to generate")
    parser.add_argument("--kb", type=Path, help="an existing KB instead of a generated one")
    parser.add_argument("--old", default="main", help="git revision of the implementation to compare with")
    parser.add_argument("--cap", type=int, help="POSTING_CAP for both implementations")
    parser.add_argument("--texts", type=int, default=12, help="free texts of each kind")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each implementation (best kept)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    old = load_old(args.old)
    if args.cap:
        old.POSTING_CAP = new.POSTING_CAP = args.cap  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="pmkb-sim-") as tmp:
        root = args.kb or Path(tmp)
        if args.kb is None:
            generate(root, args.count)
        kb = load_kb(KBConfig(root=root))
    pms, taxonomy = kb.postmortems, kb.taxonomy
    print(f"{len(pms)} postmortems from {root}" + (f", POSTING_CAP {args.cap}" if args.cap else ""))

    times: dict[str, tuple[float, float]] = {}
    indexes: dict[str, Any] = {}
    for _ in range(args.repeat):
        for name, module in (("old", old), ("new", new)):
            index, build = timed(module.SimilarityIndex, pms, taxonomy)
            _, related = timed(lambda ix: [ix.related(pm, 5) for pm in ix.postmortems], index)
            best = times.get(name, (build, related))
            times[name] = (min(best[0], build), min(best[1], related))
            indexes[name] = index
    for name, (build, related) in times.items():
        print(f"  {name}: index build {build:.3f} s, related for all {related:.3f} s, "
              f"together {build + related:.3f} s (CPU)")
    (ob, orl), (nb, nrl) = times["old"], times["new"]
    print(f"  speed-up: build {ob / max(nb, 1e-9):.2f}x, related {orl / max(nrl, 1e-9):.2f}x, "
          f"together {(ob + orl) / max(nb + nrl, 1e-9):.2f}x")

    rng = random.Random(args.seed)
    texts = texts_for(pms, taxonomy, rng, args.texts)
    differences = compare("all", indexes["old"], indexes["new"], list(indexes["new"].postmortems), texts)
    # Held out of the index: scored from their own text, placed in time by _locate.
    held = set(rng.sample(range(len(pms)), min(len(pms), 20)))
    inside = [pm for k, pm in enumerate(pms) if k not in held]
    outside = [pm for k, pm in enumerate(pms) if k in held]
    differences += compare("held out", old.SimilarityIndex(inside, taxonomy), new.SimilarityIndex(inside, taxonomy),
                           outside + inside[:20], texts[:20])
    for size in (0, 1, 2, 3, 4, 5):
        subset = rng.sample(pms, min(len(pms), size))
        differences += compare(f"{size} postmortems", old.SimilarityIndex(subset, taxonomy),
                               new.SimilarityIndex(subset, taxonomy), subset + outside[:3], texts[:20])
    queries = 2 * len(pms) + 2 * 20 + 20 + 6 * 3
    print(f"  compared about {queries} related() and {len(texts) + 7 * 20} similar_to_text() answers "
          f"and 8 browser indexes: {differences} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
