"""How the similarity check grows with the class: n hand-ins of synthetic code, copies planted.

Each hand-in is three answer cells of random code (some 600 symbols, like the assignment's
answers) and, with ``--shared``, one cell taken from the hand-in corpus (tests/handins/),
so that many hand-ins share code as a real class does. Every tenth hand-in is a copy of
another one with its names renamed and its cells in another order. Prints seconds per size
and whether exactly the planted pairs were found (without --shared).

    .venv/bin/python bench/bench_similarity.py            # 125, 250, 500, 1000 hand-ins
    .venv/bin/python bench/bench_similarity.py --shared   # with corpus cells shared by many
"""

import argparse
import random
import re
import sys
import time
from pathlib import Path

from nmf_kit.similarity import prepare, similar_pairs

ROOT = Path(__file__).resolve().parents[1]
_OPS = ["+", "-", "*", "/", "@", "**", "//", "%"]
_CALLS = ["np.maximum", "np.sum", "np.clip", "np.abs", "len", "max", "min", "np.where", "np.dot"]


def _expr(rng, depth=0):
    roll = rng.random()
    if depth > 2 or roll < 0.25:
        return rng.choice([f"v{rng.randrange(9)}", str(rng.randrange(100)), f"v{rng.randrange(9)}.T"])
    if roll < 0.5:
        args = ", ".join(_expr(rng, depth + 1) for _ in range(rng.randrange(1, 4)))
        return f"{rng.choice(_CALLS)}({args})"
    if roll < 0.6:
        return f"{_expr(rng, depth + 1)}[{_expr(rng, depth + 1)}]"
    return f"({_expr(rng, depth + 1)} {rng.choice(_OPS)} {_expr(rng, depth + 1)})"


def _statement(rng, indent):
    roll, pad = rng.random(), " " * indent
    if roll < 0.15 and indent < 8:
        body = "\n".join(_statement(rng, indent + 4) for _ in range(rng.randrange(1, 4)))
        return f"{pad}for v{rng.randrange(9)} in range({_expr(rng)}):\n{body}"
    if roll < 0.25 and indent < 8:
        body = "\n".join(_statement(rng, indent + 4) for _ in range(rng.randrange(1, 3)))
        return f"{pad}if {_expr(rng)} {rng.choice(['<', '>', '==', '!='])} {_expr(rng)}:\n{body}"
    if roll < 0.35:
        return f"{pad}v{rng.randrange(9)} {rng.choice(['+=', '-=', '*='])} {_expr(rng)}"
    return f"{pad}v{rng.randrange(9)} = {_expr(rng)}"


def random_cell(rng, name):
    """A function of some 200 symbols of random code."""
    body = "\n".join(_statement(rng, 4) for _ in range(8))
    return f"def {name}(v0, v1, v2):\n{body}\n    return v0\n"


def renamed(source, rng):
    """``source`` with every ``vN`` and function name renamed (what a copier does first)."""
    names = {}
    return re.sub(
        r"\b(v\d|f_\w+)\b", lambda m: names.setdefault(m.group(0), f"x_{rng.randrange(10**6)}"), source
    )


def synthetic_class(n, seed=0, shared=False):
    """``({name: {cell: source}}, planted pairs)``: n hand-ins, every tenth a disguised copy."""
    rng = random.Random(seed)
    corpus = []
    if shared:
        sys.path.insert(0, str(ROOT / "tests"))
        from corpus import variants

        corpus = [src for v in variants().values() for src in v.ANSWERS.values()]
    handins, planted = {}, set()
    for i in range(n):
        name = f"s{i:04d}"
        if i % 10 == 9:
            original = f"s{rng.randrange(i - 9, i):04d}"
            cells = list(handins[original].items())
            rng.shuffle(cells)
            # the cells' code moved around: each cell's code now under another cell's name
            handins[name] = {f"c{j}": renamed(src, rng) for j, (_, src) in enumerate(cells)}
            planted.add(tuple(sorted((original, name))))
            continue
        cells = {f"c{j}": random_cell(rng, f"f_{i}_{j}") for j in range(3)}
        if corpus:
            cells["c3"] = rng.choice(corpus)
        handins[name] = cells
    return handins, planted


def measure(n, shared=False):
    handins, planted = synthetic_class(n, shared=shared)
    started = time.perf_counter()
    pairs = similar_pairs(prepare(handins))
    seconds = time.perf_counter() - started
    found = {tuple(sorted((p.a, p.b))) for p in pairs}
    return seconds, found, planted


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[125, 250, 500, 1000])
    parser.add_argument("--shared", action="store_true", help="add a corpus cell to every hand-in")
    args = parser.parse_args(argv)
    previous = None
    for n in args.sizes:
        seconds, found, planted = measure(n, args.shared)
        growth = f", x{seconds / previous[1]:.2f} for x{n / previous[0]:.1f} hand-ins" if previous else ""
        exact = (
            "exactly the planted pairs"
            if found == planted
            else f"{len(found & planted)}/{len(planted)} planted"
        )
        print(f"{n:5d} hand-ins: {seconds:6.2f} s{growth}; {len(found)} pairs found, {exact}")
        previous = (n, seconds)


if __name__ == "__main__":
    main()
