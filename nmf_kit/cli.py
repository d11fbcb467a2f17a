"""``nmf-kit``: the instructors' command line.

Every command acts on the course folder it is run in (or ``--course``). A
mistake the user can fix is a :class:`~nmf_kit.errors.KitError`: printed as
``nmf-kit <command>: <message>`` without a traceback, with a non-zero exit.
"""

import argparse
import os
import sys
import textwrap
from pathlib import Path

from .course import ASSIGNMENT
from .errors import KitError

DATA_HINT = "run `nmf-kit data` once online, or set NMF_HELPERS_DATA=<folder holding ml-100k/>"


class _Formatter(argparse.HelpFormatter):
    """Help wrapped at spaces only: names such as autograde-report.csv stay whole."""

    def _split_lines(self, text, width):
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False, break_long_words=False)

    def _fill_text(self, text, width, indent):
        lines = textwrap.wrap(" ".join(text.split()), width - len(indent), break_on_hyphens=False)
        return "\n".join(indent + line for line in lines)


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake said in one line (argparse prints the whole usage)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _count(text):
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _movielens(download):
    """The ml-100k folder, or KitError saying how to get it."""
    from nmf_course.movielens import ENV_DATA, MovieLensNotFound, movielens_folder

    try:
        return movielens_folder(download=download)
    except MovieLensNotFound as exc:
        if os.environ.get(ENV_DATA):  # a wrong NMF_HELPERS_DATA: its own message says what to fix
            raise KitError(str(exc)) from exc
        cause = f" (download failed: {type(exc.__cause__).__name__})" if exc.__cause__ else ""
        raise KitError(f"MovieLens-100k is not on this machine{cause}: {DATA_HINT}.", status=1) from exc


def _shorten(names, limit=20):
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _init(args):
    from . import policy
    from .course import init_course
    from .progress import log

    deadline, team_rules = args.deadline, args.team_rules
    if deadline is None and team_rules is None and sys.stdin.isatty():
        print("The release's introduction states the deadline and the team rules (Enter: the kit's text).")
        deadline = policy.ask(f"Deadline, with a time zone (e.g. {policy.EXAMPLE})")
        team_rules = policy.ask("Team rules (e.g. 'hand in on your own, one zip per student')")
    if deadline:
        policy.parse_deadline(deadline)  # refused before anything is made
    if team_rules or args.team_rules is not None:  # an empty --team-rules is refused, an empty answer kept
        team_rules = policy.check_team_rules(team_rules)
    course = init_course(args.folder)
    policy.write(course, deadline or "", team_rules or "")
    log.info(f"made a course in {course}: source/{ASSIGNMENT}/, nbgrader_config.py, .gitignore.")
    if deadline or team_rules:
        rules = f"deadline {deadline or '-'}; team rules: {team_rules or '-'}"
        log.info(f"its rules (c.Policy in nbgrader_config.py and the introduction): {rules}")
    log.info(f"next: cd {course} && nmf-kit release")
    return 0


def _demo(args):
    from .demo import run_demo

    run_demo(args.workdir, download=not args.offline)
    return 0


def _collect(args):
    from . import gradebook
    from .collect import DEFAULT_PATTERN, collect
    from .course import check_assignment, find_course, source_assignments
    from .progress import log

    course = find_course(args.course)
    known = sorted(set(source_assignments(course)) | set(gradebook.assignments(course)))
    check_assignment(course, args.assignment, known)
    outcomes = collect(
        args.downloads,
        course,
        args.assignment,
        pattern=args.pattern or DEFAULT_PATTERN,
        replace=args.replace,
    )
    counts = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to do"
    log.info(f"summary: {summary}")
    return 1 if counts.get("skipped") else 0


def _graded_assignment(course, assignment):
    """``assignment``, checked to be in the gradebook (it is added there by `nmf-kit release`)."""
    from . import gradebook
    from .course import check_assignment, source_assignments

    in_gradebook = gradebook.assignments(course)
    if assignment in in_gradebook:
        return assignment
    if assignment in source_assignments(course):
        raise KitError(f"{assignment} is not in the gradebook yet: run `nmf-kit release` in {course} first.")
    return check_assignment(course, assignment, sorted(set(in_gradebook) | set(source_assignments(course))))


def _autograde(args):
    from .course import find_course, submitted_students
    from .runner import autograde

    course = find_course(args.course)
    assignment = _graded_assignment(course, args.assignment)
    known = submitted_students(course, assignment)
    if not known:
        raise KitError(
            f"no submissions of {assignment} in {course / 'submitted'}: "
            "collect them first (nmf-kit collect <downloads folder>)."
        )
    unknown = [student for student in args.students if student not in known]
    if unknown and unknown[0] == assignment:  # `nbgrader autograde ex08` habit
        raise KitError(
            f"{assignment} is the assignment; the positional arguments are student ids: "
            "run `nmf-kit autograde` (all students) or "
            f"`nmf-kit autograde --assignment {assignment} STUDENT ...`."
        )
    if unknown:
        raise KitError(
            f"no submission of {assignment} for {_shorten(unknown)}; "
            f"students with a submission: {_shorten(known)}."
        )
    if not args.scheduler:  # the kernels read it here; a cluster's workers have their own
        _movielens(download=False)
    results = autograde(
        course,
        assignment,
        list(dict.fromkeys(args.students)),
        workers=args.workers,
        force=args.force,
        cell_timeout=args.timeout,
        handin_timeout=args.handin_timeout,
        scheduler=args.scheduler,
    )
    from .progress import log

    option = f" --assignment {assignment}" if assignment != ASSIGNMENT else ""
    log.info(
        f"class report (failures, flags, times, similar hand-ins): nmf-kit report --course {course}{option}"
    )
    return 1 if any(r.status in ("failed", "error") for r in results) else 0


def _report(args):
    from .course import find_course
    from .progress import log, step
    from .report import write_report

    course = find_course(args.course)
    assignment = _graded_assignment(course, args.assignment)
    with step(f"class report of {assignment}") as done:
        page = write_report(course, assignment)
        done.note = str(page)
    log.info(f"open it in a browser: {page.as_uri()}")
    log.info(f"the figures' numbers: {page.parent / assignment}-*.csv")
    return 0


def _feedback(args):
    from .course import find_course
    from .feedback import generate_feedback

    course = find_course(args.course)
    assignment = _graded_assignment(course, args.assignment)
    generate_feedback(course, assignment, force=args.force)
    return 0


def _data(args):
    print(_movielens(download=not args.offline))
    return 0


def _release(args):
    from .course import check_assignment, find_course, source_assignments
    from .policy import give_nbgrader_the_deadline
    from .progress import log, step
    from .runner import nbgrader

    course = find_course(args.course)
    assignment = check_assignment(course, args.assignment, source_assignments(course))
    with step(f"nbgrader generate_assignment {assignment}"):
        nbgrader(course, "generate_assignment", assignment, "--force")
    due = give_nbgrader_the_deadline(course, assignment)
    if due is not None:
        log.info(f"due {due:%Y-%m-%d %H:%M} UTC (c.Policy.deadline): nbgrader marks later hand-ins late.")
    log.info(f"regenerated {course / 'release' / assignment}; commit it.")
    return 0


def _marking_sheet(args):
    from .course import check_assignment, find_course, source_assignments
    from .marking import write_marking_sheet
    from .progress import log

    course = find_course(args.course)
    assignment = check_assignment(course, args.assignment, source_assignments(course))
    page = write_marking_sheet(course, assignment, args.output)
    log.info(f"wrote the marking sheet of {assignment} to {page} (answer keys: for TAs, not students)")
    return 0


def _notebooks(args):
    from .course import kit_root
    from .lectures import render

    folder = args.folder
    if folder is None:
        here, kit = Path.cwd() / "notebooks", Path(kit_root()) / "notebooks"
        folder = here if here.is_dir() else kit
    folder = Path(folder)
    if not folder.is_dir():
        raise KitError(f"no lecture notebooks folder {folder}: pass --folder <folder of NN_name.ipynb>.")
    render(folder, args.output or folder / "html", timeout=args.timeout)
    return 0


def _course_option(parser):
    parser.add_argument(
        "--course", type=Path, default=None, help="the course folder (default: the current folder)"
    )


def _assignment_option(parser):
    parser.add_argument(
        "--assignment",
        default=ASSIGNMENT,
        help=f"the assignment, a folder of the course's source/ (default: {ASSIGNMENT})",
    )


def _command(commands, name, run, help, description):
    parser = commands.add_parser(name, help=help, description=description)
    parser.set_defaults(run=run)
    return parser


def build_parser():
    parser = _Parser(prog="nmf-kit", description="The NMF course kit's instructor commands.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    init = _command(
        commands,
        "init",
        _init,
        "make a new course folder from the kit's assignment",
        "Make FOLDER a course folder: the kit's source/ex08, nbgrader_config.py and a .gitignore for "
        "nbgrader's outputs. FOLDER may be an empty repository; a folder that holds a course is refused.",
    )
    init.add_argument("folder", type=Path, help="the folder to make (created when missing)")
    init.add_argument(
        "--deadline",
        help="when hand-ins are due, with a time zone (e.g. '2027-01-15 23:59 +01:00'); asked in a terminal",
    )
    init.add_argument(
        "--team-rules",
        help="who may hand in together (plain text, e.g. 'in pairs, one zip per pair'); asked in a terminal",
    )

    demo = _command(
        commands,
        "demo",
        _demo,
        "release -> hand-ins -> collect -> autograde -> feedback -> grades",
        "Run the kit's whole job on a fresh course folder with three demo students (the reference "
        "solution, the untouched release, a buggy recommender) and print their grades.",
    )
    demo.add_argument(
        "--workdir", default="demo-course", help="course folder to create (default: demo-course)"
    )
    demo.add_argument("--offline", action="store_true", help="never download MovieLens (synthetic if absent)")

    collect = _command(
        commands,
        "collect",
        _collect,
        "import LMS downloads (<student>_ex08.zip) into submitted/",
        "Import each <student id>_<assignment>.zip of DOWNLOADS into submitted/<student id>/<assignment>/ "
        "of the course. Bad archives are reported by name and skipped (exit status 1); a different "
        "earlier submission is never overwritten without --replace.",
    )
    collect.add_argument("downloads", type=Path, help="folder of the downloaded .zip archives")
    _course_option(collect)
    _assignment_option(collect)
    collect.add_argument(
        "--pattern",
        help="regex searched in each file name, with a group 'student_id' (and optionally 'name', or "
        "'first_name' and 'last_name', recorded in the gradebook); {assignment} stands for the assignment",
    )
    collect.add_argument(
        "--replace", action="store_true", help="replace differing submissions (old ones kept in replaced/)"
    )

    grade = _command(
        commands,
        "autograde",
        _autograde,
        "autograde every submission in parallel, with progress and a report",
        "Grade every submission of the assignment (or the STUDENTS given), N at a time or on a Dask "
        "cluster: each kernel in the sandbox, the hidden checks decided outside it, the results recorded "
        "by nbgrader in the course; write autograde-report.csv. Exit status 1 when a submission could "
        "not be graded.",
    )
    grade.add_argument("students", nargs="*", help="student ids (default: all with a submission)")
    _course_option(grade)
    _assignment_option(grade)
    grade.add_argument(
        "--workers", type=_count, help="hand-ins graded at once (default: c.Grader.workers, else the cores)"
    )
    grade.add_argument("--timeout", type=_count, help="seconds per cell (default: nbgrader_config.py's)")
    grade.add_argument(
        "--handin-timeout", type=_count, help="seconds for a whole hand-in (default: c.Grader.handin_timeout)"
    )
    grade.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on the Dask cluster of this scheduler, e.g. tcp://10.0.0.5:8786 "
        "(default: c.Grader.scheduler, else this machine)",
    )
    grade.add_argument("--force", action="store_true", help="grade again those already autograded")

    data = _command(
        commands,
        "data",
        _data,
        "print the MovieLens-100k folder, downloading it once if needed",
        "Print the folder of MovieLens-100k (NMF_HELPERS_DATA's, or the cache's), downloading and "
        "checking the official ml-100k.zip into the cache first when it is not on this machine.",
    )
    data.add_argument(
        "--offline", action="store_true", help="never download: fail when the data is not on this machine"
    )

    release = _command(
        commands,
        "release",
        _release,
        "regenerate release/<assignment> from source/ (then commit it)",
        "Run nbgrader generate_assignment in the course folder: release/<assignment>/ is what students "
        "get, and the assignment is added to the gradebook.",
    )
    _course_option(release)
    _assignment_option(release)

    sheet = _command(
        commands,
        "marking-sheet",
        _marking_sheet,
        "write the TAs' marking sheet: each manual question, its points and its key",
        "Export from source/<assignment>/nmf.ipynb one Markdown page for the TAs: every manually graded "
        "question with its points (the gradebook's) and its answer key, which the formgrader does not show.",
    )
    _course_option(sheet)
    _assignment_option(sheet)
    sheet.add_argument(
        "--output", type=Path, help="where to write it (default: <course>/marking-sheet-<assignment>.md)"
    )

    report = _command(
        commands,
        "report",
        _report,
        "write the class report (an offline HTML page and CSV) after grading",
        "Write reports/<assignment>-report.html in the course folder, read from the gradebook and what "
        "grading kept: score distributions, each test's and hidden check's pass rate and most frequent "
        "failure messages, flagged and ungraded hand-ins, grading time per hand-in, and pairs of similar "
        "hand-ins (a reason to look, not proof). The figures' numbers are written as CSV beside it.",
    )
    _course_option(report)
    _assignment_option(report)

    feedback = _command(
        commands,
        "feedback",
        _feedback,
        "nbgrader generate_feedback, refused while hand grading is pending",
        "Write feedback/<student>/<assignment>/ with nbgrader generate_feedback (every page regenerated, "
        "so hand grades entered since are shown). Refused while answers still wait for hand grading (the "
        "feedback would show them at 0) unless --force. The student's own exported <notebook>.html, "
        "which nbgrader's feedback page replaces, is kept beside it as <notebook>.handed-in.html.",
    )
    _course_option(feedback)
    _assignment_option(feedback)
    feedback.add_argument(
        "--force", action="store_true", help="write feedback even while hand grading is pending"
    )

    notebooks = _command(
        commands,
        "notebooks",
        _notebooks,
        "execute the lecture notebooks and write HTML copies",
        "Execute the lecture notebooks (NN_name.ipynb) top to bottom and write HTML copies that "
        "show formulas without a network.",
    )
    notebooks.add_argument(
        "--folder", type=Path, help="default: notebooks/ here, else the kit's own notebooks/"
    )
    notebooks.add_argument("--output", type=Path, help="default: <folder>/html/ (not committed)")
    notebooks.add_argument("--timeout", type=_count, default=900, help="seconds per cell")
    return parser


def main(argv=None):
    """Run one ``nmf-kit`` command; return its exit status."""
    from .progress import console

    args = build_parser().parse_args(argv)
    with console():
        try:
            return args.run(args)
        except KitError as exc:
            sys.stdout.flush()
            print(f"nmf-kit {args.command}: {exc}", file=sys.stderr)
            return exc.status


if __name__ == "__main__":
    sys.exit(main())
