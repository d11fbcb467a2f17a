"""``nmf-kit``: the instructors' command line."""

import argparse
import sys
from pathlib import Path


def _demo(args):
    from .demo import run_demo

    run_demo(args.workdir, download=not args.offline)
    return 0


def _collect(args):
    from .collect import DEFAULT_PATTERN, collect

    outcomes = collect(
        args.downloads,
        args.course,
        args.assignment,
        pattern=args.pattern or DEFAULT_PATTERN,
        replace=args.replace,
    )
    counts = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    print(
        "summary: " + (", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to do")
    )
    return 1 if counts.get("skipped") else 0


def _autograde(args):
    from .grader import autograde_class
    from .sandbox import SandboxUnavailable

    try:
        results = autograde_class(
            args.course,
            args.assignment,
            args.students,
            workers=args.workers,
            force=args.force,
            cell_timeout=args.timeout,
        )
    except SandboxUnavailable as exc:
        print(f"nmf-kit autograde: not started: {exc}", file=sys.stderr)
        return 2
    return 1 if any(r.status == "failed" for r in results) else 0


def _data(args):
    from nmf_course.movielens import MovieLensNotFound, movielens_folder

    try:
        print(movielens_folder(download=not args.offline))
    except MovieLensNotFound as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _release(args):
    from .course import ASSIGNMENT, kit_root, nbgrader

    root = kit_root()
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    print(f"regenerated {root / 'release' / ASSIGNMENT}; commit it.")
    return 0


def _notebooks(args):
    from .course import kit_root
    from .lectures import render

    folder = args.folder or kit_root() / "notebooks"
    render(folder, args.output or folder / "html", timeout=args.timeout)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="nmf-kit", description="The NMF course kit's instructor commands.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="release -> hand-ins -> collect -> autograde -> feedback -> grades"
    )
    demo.add_argument(
        "--workdir", default="demo-course", help="course folder to create (default: demo-course)"
    )
    demo.add_argument("--offline", action="store_true", help="never download MovieLens (synthetic if absent)")
    demo.set_defaults(run=_demo)

    collect = commands.add_parser("collect", help="import LMS downloads (<student>_ex08.zip) into submitted/")
    collect.add_argument("downloads", type=Path, help="folder of the downloaded .zip archives")
    collect.add_argument("--course", type=Path, default=Path("."), help="course root (default: here)")
    collect.add_argument("--assignment", default="ex08")
    collect.add_argument("--pattern", help="regex with a group 'student_id' matched on each file name")
    collect.add_argument(
        "--replace", action="store_true", help="replace differing submissions (old ones kept in replaced/)"
    )
    collect.set_defaults(run=_collect)

    grade = commands.add_parser(
        "autograde", help="autograde every submission in parallel, with progress and a report"
    )
    grade.add_argument("students", nargs="*", help="student ids (default: all in submitted/)")
    grade.add_argument("--course", type=Path, default=Path("."), help="course root (default: here)")
    grade.add_argument("--assignment", default="ex08")
    grade.add_argument("--workers", type=int, help="parallel graders (default: the number of cores)")
    grade.add_argument("--timeout", type=int, help="seconds per cell (default: nbgrader_config.py's)")
    grade.add_argument("--force", action="store_true", help="grade again those already autograded")
    grade.set_defaults(run=_autograde)

    data = commands.add_parser("data", help="print the MovieLens-100k folder, downloading it once if needed")
    data.add_argument("--offline", action="store_true")
    data.set_defaults(run=_data)

    release = commands.add_parser("release", help="regenerate release/ex08 from source/ex08 (then commit it)")
    release.set_defaults(run=_release)

    notebooks = commands.add_parser("notebooks", help="execute the lecture notebooks and write HTML copies")
    notebooks.add_argument("--folder", type=Path, help="default: the kit's notebooks/")
    notebooks.add_argument("--output", type=Path, help="default: notebooks/html/ (not committed)")
    notebooks.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    notebooks.set_defaults(run=_notebooks)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
