"""Grading fidelity: correct variants get every point, each bug loses exactly its tests,
whatever inputs a hand-in's seed draws (two seeds each: a check whose tolerance a bug's
spread straddles would give identical hand-ins different grades)."""

import pytest
from corpus import FUNCTION_TESTS, flags_in_process, grade_in_process, variants

CORPUS = variants()


def test_corpus_is_large_enough_and_well_formed():
    correct = [name for name, v in CORPUS.items() if not v.LOSES]
    buggy = [name for name, v in CORPUS.items() if v.LOSES]
    assert len(correct) >= 10
    assert len(buggy) >= 10
    for name, variant in CORPUS.items():
        assert variant.__doc__, f"{name} needs a docstring saying what the student did"
        assert set(variant.LOSES) <= set(FUNCTION_TESTS), name


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # faulty variants overflow, as intended
@pytest.mark.parametrize("seed", [11, 2**40 + 7])
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_variant_loses_exactly_its_tests(name, seed):
    variant = CORPUS[name]
    assert grade_in_process(variant.ANSWERS, seed) == set(variant.LOSES)


def test_reference_passes_everything():
    assert grade_in_process({}) == set()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_only_hidden_library_calls_are_flagged(name):
    """Ordinary code is never flagged; code that hides what it calls always is."""
    flags = flags_in_process(CORPUS[name].ANSWERS)
    assert bool(flags) == getattr(CORPUS[name], "FLAGGED", False), flags
