"""Similar hand-ins: winnowed fingerprints of normalised Python tokens, as MOSS does.

A hand-in's code is the code of its answer cells. Each cell is split into units (every
top-level ``def``/``class``, and the other statements of the cell together); each unit
is tokenised and normalised: identifiers become ``N``, numbers ``0``,
strings ``"``, keywords and operators stay, comments, blank lines and indentation go. A
fingerprint is the hash of ``K`` consecutive symbols, winnowed (the smallest hash of every
window of ``W`` k-grams is kept), so any run of ``W + K - 1`` matching symbols is found.
Because fingerprints are taken per unit, renamed variables, reformatting and reordered
functions or cells change nothing. Fingerprints of the release's own code (the given code,
the stubs, the tests) are boilerplate and dropped, and so is code that more than half of a
large class writes alike. An inverted index (fingerprint -> hand-ins holding it) gives
the pairs that share anything, so the cost grows with the shared fingerprints, not with
every pair: about linear in the number of hand-ins (measured in ``bench/bench_similarity.py``).

Why not ``copydetect`` (0.5.0)? It implements the same winnowing, but compares every pair of
files in full (125,000 comparisons for 500 hand-ins), reads files from disk, tokenises with
pygments for any language and pulls matplotlib, jinja2, pygments and tqdm in; its report is a
page of its own. On the synthetic classes of ``bench/bench_similarity.py`` (one file per
hand-in) it took 11 s for 125 hand-ins, 22 s for 250 and 65 s for 500; this module 0.4 s,
0.8 s and 1.9 s, on the same shared 2-core machine. What is needed here is a hundred lines
of the standard library.

Similarity is a reason to look at two hand-ins side by side, never proof of copying:
short functions that follow the exercise's formulas look alike when written independently.
"""

import hashlib
import keyword
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from itertools import combinations

K = 12  # symbols per k-gram: shorter runs are common idiom (``np.maximum(N, N)``)
W = 8  # winnowing window: every shared run of W + K - 1 = 19 symbols is found
THRESHOLD = 0.5  # a pair is listed when this share of one hand-in's fingerprints is in the other
MIN_MATCHES = 8  # ... and they share at least this many fingerprints (some 40 symbols)


@dataclass
class Handin:
    """One hand-in's code: ``cells`` is ``{cell name: source}`` (answer cells only)."""

    name: str
    cells: dict
    # fingerprint -> [(cell, start, end)]: where in the cells' sources it came from
    prints: dict = field(default_factory=dict)


@dataclass
class Pair:
    """Two similar hand-ins: ``share_a`` of ``a``'s fingerprints are in ``b`` and vice versa."""

    a: str
    b: str
    matches: int
    share_a: float
    share_b: float
    shared: frozenset = field(default=frozenset(), repr=False)

    @property
    def share(self):
        return max(self.share_a, self.share_b)


def _mask_magics(source):
    """IPython lines (``%time``, ``!ls``) as blanks of the same length: offsets stay valid."""
    return "".join(
        " " * (len(line) - 1) + "\n" if line.lstrip().startswith(("%", "!")) else line
        for line in source.splitlines(keepends=True)
    )


_TOKEN = re.compile(
    r"(?P<space>[ \t\f\r\n]+|\\\r?\n)"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<string>[rRbBuUfF]{0,2}(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''"
    r"|\"(?:\\.|[^\"\\\r\n])*\"|'(?:\\.|[^'\\\r\n])*'))"
    r"|(?P<number>0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d[\d_]*)?[jJ]?)"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|\.\.\.|[-+*/%@&|^=<>!]=|[-+*/%@&|^~<>=.,:;()\[\]{}])"
    r"|(?P<other>.)",
    re.S,
)


def tokens(source):
    """``[(symbol, start, end)]``: the normalised tokens of ``source`` and their character ranges.

    A regular expression rather than :mod:`tokenize` (several times slower on Python 3.11, and
    it stops at the first error): code that does not parse is read token by token all the same.
    """
    source = _mask_magics(source)
    found = []
    for match in _TOKEN.finditer(source):
        kind, text = match.lastgroup, match.group()
        if kind in ("space", "comment"):
            continue
        if kind == "name":
            symbol = text if keyword.iskeyword(text) else "N"
        elif kind == "number":
            symbol = "0"
        elif kind == "string":
            symbol = '"'
        else:
            symbol = text
        found.append((symbol, match.start(), match.end()))
    return found


def _units(source, toks):
    """A cell's units as lists of token indexes: each top-level def/class (with its decorators),
    and the other top-level statements together."""
    units, rest, current, decorated, depth = [], [], None, False, 0
    for index, (symbol, start, _) in enumerate(toks):
        if depth == 0 and (start == 0 or source[start - 1] == "\n"):  # a top-level line begins
            if symbol in ("def", "class", "async", "@"):
                if not decorated:
                    current = []
                    units.append(current)
                decorated = symbol == "@"
            else:
                current, decorated = rest, False
        if current is None:
            current = rest
        current.append(index)
        if symbol in ("(", "[", "{"):
            depth += 1
        elif symbol in (")", "]", "}"):
            depth = max(0, depth - 1)
    return units + ([rest] if rest else [])


def _hash(symbols):
    return int.from_bytes(hashlib.blake2b("\x1f".join(symbols).encode(), digest_size=8).digest(), "big")


def _winnow(hashes, window=W):
    """Indexes of the winnowed hashes: the rightmost smallest of every window, each once."""
    if len(hashes) <= window:
        return [min(range(len(hashes)), key=lambda i: (hashes[i], -i))] if hashes else []
    chosen, queue = [], deque()  # queue: indexes of increasing hashes, the window's minimum first
    for i, value in enumerate(hashes):
        while queue and hashes[queue[-1]] >= value:
            queue.pop()
        queue.append(i)
        if queue[0] <= i - window:
            queue.popleft()
        if i >= window - 1 and (not chosen or chosen[-1] != queue[0]):
            chosen.append(queue[0])
    return chosen


def fingerprints(source, k=K, window=W):
    """``{fingerprint: [(start, end)]}`` of one cell's source (character ranges of its k-grams)."""
    found = defaultdict(list)
    toks = tokens(source)
    for unit in _units(source, toks):
        selected = [toks[i] for i in unit]
        if len(selected) < k:
            continue
        symbols = [t[0] for t in selected]
        hashes = [_hash(symbols[i : i + k]) for i in range(len(symbols) - k + 1)]
        for i in _winnow(hashes, window):
            found[hashes[i]].append((selected[i][1], selected[i + k - 1][2]))
    return dict(found)


def prepare(handins, boilerplate=(), k=K, window=W):
    """Fingerprint ``handins`` (``{name: {cell: source}}``) with ``boilerplate`` (sources) left out.

    Returns
    -------
    list of Handin
    """
    common = set()
    for source in boilerplate:
        common.update(fingerprints(source, k, window))
    prepared, seen = [], {}
    for name, cells in handins.items():
        handin = Handin(name, dict(cells))
        for cell, source in cells.items():
            if source not in seen:  # unchanged or shared cells are fingerprinted once
                seen[source] = fingerprints(source, k, window)
            for fp, spans in seen[source].items():
                if fp not in common:
                    handin.prints.setdefault(fp, []).extend((cell, lo, hi) for lo, hi in spans)
        prepared.append(handin)
    return prepared


def similar_pairs(handins, threshold=THRESHOLD, min_matches=MIN_MATCHES, common_share=0.5, common_floor=10):
    """Pairs of hand-ins whose shared code reaches ``threshold`` of either one's fingerprints.

    Parameters
    ----------
    handins : list of Handin
        From :func:`prepare`.
    threshold : float
        Share (0-1) of a hand-in's fingerprints found in the other.
    min_matches : int
        Fewest shared fingerprints for a pair (tiny hand-ins share a line by chance).
    common_share, common_floor : float, int
        A fingerprint held by more than ``max(common_floor, common_share * len(handins))``
        hand-ins is what everybody writes, not a sign of copying, and is left out.

    Returns
    -------
    pairs : list of Pair
        Largest share first.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be a share in (0, 1], got {threshold}")
    index = defaultdict(list)
    for number, handin in enumerate(handins):
        for fp in handin.prints:
            index[fp].append(number)
    limit = max(common_floor, common_share * len(handins))
    counted = defaultdict(list)
    usable = [0] * len(handins)
    for fp, holders in index.items():
        if len(holders) > limit:
            continue
        for number in holders:
            usable[number] += 1
        for pair in combinations(holders, 2):
            counted[pair].append(fp)
    pairs = []
    for (i, j), shared in counted.items():
        if len(shared) < min_matches:
            continue
        pair = Pair(
            handins[i].name, handins[j].name, len(shared),
            len(shared) / usable[i], len(shared) / usable[j], frozenset(shared),
        )  # fmt: skip
        if pair.share >= threshold:
            pairs.append(pair)
    return sorted(pairs, key=lambda p: (-p.share, -p.matches, p.a, p.b))


def matched_regions(handin, shared):
    """``{cell: [(start, end)]}``: merged character ranges of ``handin``'s code in ``shared``."""
    ranges = defaultdict(list)
    for fp in shared:
        for cell, lo, hi in handin.prints.get(fp, ()):
            ranges[cell].append((lo, hi))
    merged = {}
    for cell, spans in ranges.items():
        spans.sort()
        out = [list(spans[0])]
        for lo, hi in spans[1:]:
            if lo <= out[-1][1]:
                out[-1][1] = max(out[-1][1], hi)
            else:
                out.append([lo, hi])
        merged[cell] = [tuple(s) for s in out]
    return merged
