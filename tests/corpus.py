"""The hand-in corpus (tests/handins/*.py) and a fast way to grade a variant.

``grade_in_process`` runs the variant's answer cells and then the source
notebook's test cells (visible and hidden parts) in one namespace, in
notebook order, as the kernel would, and returns the grade ids that failed.
The pipeline tests check, through the real nbgrader, that this agrees.
"""

import importlib.util
from pathlib import Path

import nbformat

from nmf_kit.handins import function_namespace, python_source

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source" / "ex08" / "nmf.ipynb"
CORPUS = Path(__file__).with_name("handins")

# Tests that need only the functions (not the MovieLens cells of the notebook).
FUNCTION_TESTS = (
    "test_update_steps", "test_non_negative_shapes", "test_loss_never_increases",
    "test_zero_rows_and_columns", "test_reconstruction_error", "test_recommend_unseen",
    "test_recommend_order", "test_recommend_user",
)  # fmt: skip


def variants():
    """{name: module} of every hand-in file."""
    import sys

    found = {}
    sys.path.insert(0, str(CORPUS))  # a variant may build on another one
    for path in sorted(CORPUS.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"handin_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found[path.stem] = module
    sys.path.remove(str(CORPUS))
    return found


def grade_in_process(answers_override):
    """Define the functions (reference answers + overrides), then run the function
    tests in notebook order in the same namespace; return the failed grade ids."""
    import builtins

    import numpy

    # Hostile variants rebind numpy's and Python's names: undo it afterwards,
    # since here they run in the test process itself.
    saved = [(module, dict(vars(module))) for module in (numpy, builtins)]
    try:
        namespace = function_namespace(SOURCE, answers_override)
        failed = set()
        for cell in nbformat.read(SOURCE, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in FUNCTION_TESTS:
                try:
                    exec(compile(python_source(cell.source), grade_id, "exec"), namespace)
                except BaseException as exc:
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    failed.add(grade_id)
        return failed
    finally:
        for module, names in saved:
            for name in set(vars(module)) - set(names):
                delattr(module, name)
            vars(module).update(names)
