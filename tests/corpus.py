"""The hand-in corpus (tests/handins/*.py) and a fast way to grade a variant.

``grade_in_process`` runs the variant's answer cells and then the source
notebook's test cells (visible and hidden parts) in one namespace, in
notebook order, as the kernel would, and returns the grade ids that failed.
The pipeline tests check, through the real nbgrader, that this agrees.
"""

import importlib.util
import sys
from pathlib import Path

import nbformat

from nmf_helpers.handins import reference_answers

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source" / "ex08" / "nmf.ipynb"
CORPUS = Path(__file__).with_name("handins")

# Tests that need only the functions (not the MovieLens cells of the notebook).
FUNCTION_TESTS = (
    "test_update_steps", "test_non_negative_shapes", "test_loss_never_increases",
    "test_zero_rows_and_columns", "test_reconstruction_error", "test_recommend_unseen",
    "test_recommend_order", "test_recommend_user",
)  # fmt: skip
FUNCTION_CELLS = ("imports", "update_rules", "non_negative", "recommend_movies")


def variants():
    """{name: module} of every hand-in file."""
    found = {}
    for path in sorted(CORPUS.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"handin_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found[path.stem] = module
    return found


def _python(source):
    """Cell source without IPython magics, which plain exec cannot run."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def grade_in_process(answers_override):
    """Run answer cells (reference + overrides) and the function tests; return failed grade ids."""
    notebook = nbformat.read(SOURCE, as_version=4)
    answers = reference_answers(SOURCE) | answers_override
    sys.path.insert(0, str(SOURCE.parent))
    namespace = {"__name__": "__main__"}
    failed = set()
    try:
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in FUNCTION_CELLS:
                exec(compile(_python(answers.get(grade_id, cell.source)), grade_id, "exec"), namespace)
            elif grade_id in FUNCTION_TESTS:
                try:
                    exec(compile(_python(cell.source), grade_id, "exec"), namespace)
                except Exception:  # noqa: BLE001 - any error fails the test, as in nbgrader
                    failed.add(grade_id)
    finally:
        sys.path.remove(str(SOURCE.parent))
    return failed
