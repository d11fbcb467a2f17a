"""Benchmark: what deciding the hidden checks outside the kernel costs per hand-in.

Two courses grade the same reference hand-ins, in the same run, rounds interleaved so that
both see the same load:

- **in-kernel** (the design before): nbgrader's stock ``Execute`` and ``SaveAutoGrades``,
  the hidden checks run inside the student's kernel (the source's hidden blocks call the same
  checks in-process, as ``nbgrader validate`` does), one ``nbgrader autograde --student``
  per hand-in;
- **trusted** (the kit's design): ``nmf-kit autograde`` with one worker: each hand-in graded
  in a private course with the checks decided outside the kernel from plain data, then
  recorded into the course once, with nbgrader's API; without the sandbox
  (``c.Sandbox.tool = 'none'``), so the checks call the notebook's own kernel;
- **sandboxed** (the kit's design as it grades): the same in bubblewrap, where the checks of
  an implementation call a second, check kernel (only numpy, scipy and pandas importable).

Prints seconds per hand-in (median over rounds) and the ratios to in-kernel: trusted is the
cost of deciding and recording outside the kernel, sandboxed adds the sandbox and the check
kernel (``bench_sandbox.py`` measures the sandbox alone).

    python bench/bench_autograde.py [--students 4] [--rounds 3]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from nmf_helpers.data import find_movielens
from nmf_kit.course import ASSIGNMENT, kit_root, new_course
from nmf_kit.grading.batch import autograde_class
from nmf_kit.grading.worker import THREAD_VARIABLES
from nmf_kit.handins import make_handin
from nmf_kit.runner import nbgrader

IN_KERNEL_CONFIG = """
from nbgrader.preprocessors import Execute, OverwriteCells, SaveAutoGrades
c.Autograde.autograde_preprocessors = [Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       LimitOutputSize, SaveAutoGrades, AssignLatePenalties,
                                       CheckCellMetadata]
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
                                      CheckCellMetadata]
"""
# The same checks, called in the kernel's own process (what hidden tests did before).
IN_KERNEL_BLOCK = """from nmf_helpers.grading import Context, decide
from nmf_helpers.grading.student import InProcessStudent
for _name in {names!r}:
    _verdict = decide(_name, InProcessStudent(globals()), 0, Context())
    assert _verdict.passed, _verdict.message
"""


def _in_kernel_source(source):
    """The source notebook with each hidden block calling the checks in-process."""
    from nmf_helpers.grading import _HIDDEN, checks_in_cell

    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        names = checks_in_cell(cell.source) if cell.cell_type == "code" else []
        if names:
            block = "### BEGIN HIDDEN TESTS\n" + IN_KERNEL_BLOCK.format(names=names) + "### END HIDDEN TESTS"
            cell.source = _HIDDEN.sub(lambda _, block=block: block, cell.source)
    nbformat.write(notebook, source)


def _course(folder, design, students, env):
    course = new_course(folder, kit_root())
    config = course / "nbgrader_config.py"
    config.write_text(
        config.read_text()
        + ("" if design == "sandboxed" else '\nc.Sandbox.tool = "none"\n')
        + (IN_KERNEL_CONFIG if design == "in-kernel" else "")
    )
    if design == "in-kernel":
        _in_kernel_source(course / "source" / ASSIGNMENT / "nmf.ipynb")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", env=env)
    handin = make_handin(
        course / "release" / ASSIGNMENT / "nmf.ipynb", course / "source" / ASSIGNMENT / "nmf.ipynb"
    )
    for student in students:
        path = course / "submitted" / student / ASSIGNMENT / "nmf.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(handin, path)
    return course


def _grade(course, design, students, env):
    """Seconds per hand-in, grading ``students`` one after another; checks that each got 12 points."""
    from nmf_kit.gradebook import grade_table

    start = time.perf_counter()
    if design == "in-kernel":
        for student in students:
            nbgrader(course, "autograde", ASSIGNMENT, "--student", student, "--force", env=env)
    else:
        results = autograde_class(course, ASSIGNMENT, students, workers=1, force=True)
        assert all(r.status == "graded" for r in results), results
    seconds = (time.perf_counter() - start) / len(students)
    table = grade_table(course).set_index("student")
    assert (table.loc[students, "tests"] == 12).all(), table
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4, help="hand-ins per round and design")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--designs", default="in-kernel,trusted,sandboxed", help="comma-separated; in-kernel comes first"
    )
    args = parser.parse_args(argv)
    folder = find_movielens()
    # One BLAS thread per kernel in every design, as nmf-kit autograde gives its kernels: the
    # in-kernel design's checks would otherwise spin two threads per kernel against the load.
    env = {"NMF_HELPERS_DATA": str(folder.parent), **dict.fromkeys(THREAD_VARIABLES, "1")}
    import os

    os.environ.update(env)
    root = Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    students = [f"s{k:02d}" for k in range(args.students)]
    designs = args.designs.split(",")
    courses = {design: _course(root / design, design, students, env) for design in designs}
    times = {design: [] for design in courses}
    for round_ in range(args.rounds):
        for design in courses if round_ % 2 == 0 else reversed(list(courses)):
            times[design].append(_grade(courses[design], design, students, env))
            print(f"round {round_ + 1}: {design:9s} {times[design][-1]:.2f} s per hand-in", flush=True)
    medians = {design: statistics.median(values) for design, values in times.items()}
    ratios = {design: medians[design] / medians[designs[0]] for design in designs[1:]}
    print(f"\nper hand-in (median of {args.rounds} rounds of {args.students}; data: {folder}):")
    for design, value in medians.items():
        print(f"  {design:9s} {value:.2f} s  (rounds: {', '.join(f'{t:.2f}' for t in times[design])})")
    for design, ratio in ratios.items():
        print(f"{design} costs {100 * (ratio - 1):+.1f}% per hand-in against {designs[0]} ({ratio:.3f}x)")
    print(json.dumps({"medians": medians, "ratios": ratios}), file=sys.stderr)


if __name__ == "__main__":
    main()
