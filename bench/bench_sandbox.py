"""Benchmark: what the bwrap sandbox costs per hand-in.

Grades the same --students hand-ins (the reference solution) serially, once with
c.Sandbox.tool = 'none' and once with 'bwrap', each in a fresh course, and prints
the time per hand-in and the ratio.

    python bench/bench_sandbox.py [--students 6]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import nbformat

from nmf_kit.course import ASSIGNMENT, kit_root, nbgrader, new_course
from nmf_kit.demo import data_environment
from nmf_kit.grader import autograde_class
from nmf_kit.handins import make_handin


def seconds_per_handin(folder, tool, students, env):
    course = new_course(folder, kit_root())
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text().replace('c.Sandbox.tool = "bwrap"', f'c.Sandbox.tool = "{tool}"'))
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", env=env)
    handin = make_handin(course / "release/ex08/nmf.ipynb", course / "source/ex08/nmf.ipynb")
    for k in range(students):
        path = course / "submitted" / f"s{k:02d}" / ASSIGNMENT / "nmf.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(handin, path)
    start = time.perf_counter()
    results = autograde_class(course, workers=1, log=lambda line: None)
    assert all(r.status == "graded" for r in results)
    return (time.perf_counter() - start) / students


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=6)
    args = parser.parse_args(argv)
    env, folder = data_environment()
    os.environ.update(env)
    root = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    plain = seconds_per_handin(root / "none", "none", args.students, env)
    boxed = seconds_per_handin(root / "bwrap", "bwrap", args.students, env)
    print(
        f"per hand-in, serial, {args.students} hand-ins: without sandbox {plain:.2f} s, in bwrap {boxed:.2f} s"
    )
    print(f"sandbox cost: {100 * (boxed / plain - 1):+.1f}% ({boxed / plain:.3f}x); data: {folder}")


if __name__ == "__main__":
    main()
