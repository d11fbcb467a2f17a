"""Similar hand-ins (nmf_kit.similarity), measured on the kit's own hand-in corpus; no nbgrader.

The corpus (tests/handins/) holds one or two answer cells per variant. Most variants are a
line or two changed in the reference solution: they share its code and do pair with it
and with each other, as they should. The variants that rewrote their cell in their own
way must not pair up; the disguised copy (copy_einsum_renamed: renamed, reformatted,
functions reordered and moved between cells) must pair with its original.
"""

import importlib.util
import time
from pathlib import Path

import nbformat
import pytest
from corpus import SOURCE, variants

from nmf_kit.handins import reference_answers
from nmf_kit.similarity import (
    THRESHOLD,
    fingerprints,
    matched_regions,
    prepare,
    similar_pairs,
    tokens,
)

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "release" / "ex08" / "nmf.ipynb"
# Variants whose answer cells were written their own way (not a line edited in the reference).
INDEPENDENT = (
    "reference", "correct_einsum", "correct_inplace", "correct_legacy_rng", "correct_recommend_merge",
    "correct_recommend_numpy", "bug_calls_sklearn", "bug_kl_model", "bug_titles_by_position",
    "bug_delegates_obfuscated",
)  # fmt: skip


def _bench():
    spec = importlib.util.spec_from_file_location("bench_similarity", ROOT / "bench" / "bench_similarity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus_pairs():
    release = nbformat.read(RELEASE, as_version=4)
    boilerplate = [c.source for c in release.cells if c.cell_type == "code"]
    handins = {name: dict(v.ANSWERS) for name, v in variants().items()}
    reference = reference_answers(SOURCE)
    handins["reference"] = {k: reference[k] for k in ("update_rules", "non_negative", "recommend_movies")}
    prepared = prepare(handins, boilerplate)
    return prepared, similar_pairs(prepared)


def test_disguised_copy_pairs_with_its_original(corpus_pairs):
    _, pairs = corpus_pairs
    copies = {name: v.COPY_OF for name, v in variants().items() if hasattr(v, "COPY_OF")}
    assert copies, "the corpus needs a disguised copy (COPY_OF)"
    for copy, original in copies.items():
        found = {p.b if p.a == copy else p.a: p for p in pairs if copy in (p.a, p.b)}
        assert original in found, f"{copy} not paired with {original}"
        assert found[original].share_a >= 0.9
        assert found[original].share_b >= 0.9
        assert set(found) == {original}, f"{copy} paired with others too: {sorted(found)}"


def test_independently_written_variants_do_not_pair(corpus_pairs):
    _, pairs = corpus_pairs
    independent = set(INDEPENDENT)
    together = [(p.a, p.b, round(p.share, 2)) for p in pairs if {p.a, p.b} <= independent]
    assert together == []
    # how the whole corpus fares, for the record (edited copies of the reference pair up)
    print(f"\n{len(pairs)} pairs among {len(corpus_pairs[0])} corpus hand-ins at {THRESHOLD:.0%}")


def test_release_code_is_boilerplate():
    release = nbformat.read(RELEASE, as_version=4)
    code = [c.source for c in release.cells if c.cell_type == "code"]
    untouched = {f"cell{i}": source for i, source in enumerate(code)}
    (handin,) = prepare({"untouched": untouched}, code)
    assert handin.prints == {}
    (handin,) = prepare({"untouched": untouched})
    assert handin.prints  # the same code without the release subtracted has fingerprints


FUNCTION = '''
def update(data, Z, H, eps=1e-10):
    """One step."""
    X = np.asarray(data, dtype=float)
    numerator = Z.T @ X
    denominator = np.maximum(Z.T @ Z @ H, eps)
    return H * numerator / denominator
'''
OTHER = """
def loss(X, Z, H):
    total = 0.0
    for row in range(X.shape[0]):
        total += ((X[row] - Z[row] @ H) ** 2).sum()
    return total
"""


def test_renaming_reformatting_and_comments_change_nothing():
    disguised = '''
def step(A,   W, V, tiny = 1e-9):   # renamed, spaced, another default
    # a comment
    """Another docstring."""

    M = np.asarray(A, dtype=float)
    top = W.T @ M
    bottom = np.maximum(W.T @ W @ V, tiny)
    return V * top / bottom
'''
    assert [t[0] for t in tokens(FUNCTION)] == [t[0] for t in tokens(disguised)]
    assert set(fingerprints(FUNCTION)) == set(fingerprints(disguised))
    assert set(fingerprints(FUNCTION)) != set(fingerprints(OTHER))


def test_reordered_functions_and_cells_change_nothing():
    one = prepare({"a": {"c1": FUNCTION + OTHER}})[0]
    reordered = prepare({"b": {"c1": OTHER, "c2": "\n\n" + FUNCTION}})[0]
    assert set(one.prints) == set(reordered.prints)


def test_magics_and_broken_code_are_read_as_far_as_they_go():
    source = "%time x = 1\n!ls\ny = 2"
    at = source.index("y")
    assert tokens(source) == [("N", at, at + 1), ("=", at + 2, at + 3), ("0", at + 4, at + 5)]
    assert [t[0] for t in tokens("x = (1,\n")] == ["N", "=", "(", "0", ","]  # unclosed: what came before


def test_matched_regions_mark_the_copied_function():
    handins = prepare({"a": {"c": FUNCTION + OTHER}, "b": {"c": FUNCTION}})
    (pair,) = similar_pairs(handins, min_matches=1)
    assert (pair.share_b, pair.a) == (1.0, "a")
    regions = matched_regions(handins[0], pair.shared)["c"]
    start, end = regions[0][0], regions[-1][1]
    assert FUNCTION.index("def") <= start + 1
    assert end <= len(FUNCTION)
    assert "loss" not in (FUNCTION + OTHER)[start:end]


def test_bad_threshold_is_refused():
    with pytest.raises(ValueError, match="threshold"):
        similar_pairs([], threshold=50)


def test_500_handins_find_exactly_the_planted_copies_and_grow_about_linearly():
    """Not a timed assertion: the seconds and the growth are printed (bench/bench_similarity.py
    measures more sizes); what must hold is that the planted disguised copies, and only they, pair."""
    bench = _bench()
    seconds = {}
    for n in (250, 500):
        started = time.perf_counter()
        _, found, planted = bench.measure(n)
        seconds[n] = time.perf_counter() - started
        assert found == planted
        assert len(planted) == n // 10
    print(f"\nsimilarity: 250 hand-ins {seconds[250]:.1f} s, 500 hand-ins {seconds[500]:.1f} s "
          f"(x{seconds[500] / seconds[250]:.2f} for twice as many)")  # fmt: skip
