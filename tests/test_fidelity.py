"""Grading fidelity: correct variants get every point, each bug loses exactly its tests."""

import pytest
from corpus import FUNCTION_TESTS, grade_in_process, variants

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
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_variant_loses_exactly_its_tests(name):
    variant = CORPUS[name]
    assert grade_in_process(variant.ANSWERS) == set(variant.LOSES)


def test_reference_passes_everything():
    assert grade_in_process({}) == set()
