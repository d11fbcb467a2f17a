"""The class report: one offline HTML page about an assignment's grading, and its numbers as CSV.

Everything comes from what grading already recorded, the gradebook first (through nbgrader's
:class:`~nbgrader.api.Gradebook` on the course's ``db_url``: SQLite or a server database alike;
``autograde-report.csv`` is overwritten by every run, so it is only a fallback):

- scores per student from the gradebook, split three ways: the tests (automatic points), the
  hand-graded code cells (figures) and the written answers. nbgrader's "code score" counts
  the figure cells as code, so it reads 12/14 where the notebook says 12 automatic points;
  the page says so;
- why each test was lost: the verdicts kept in ``.nmf-kit/verdicts/<assignment>/<student>.json``
  (hidden checks) and the error of the visible part in ``autograded/`` (messages grouped with
  their numbers masked, most costly first);
- flags and causes of hand-ins not graded from the gradebook's comments, and submissions with
  no gradebook record at all;
- seconds per hand-in: kept by :func:`record_times` after every grading run (the gradebook has
  no such field), else the last ``autograde-report.csv``;
- similar hand-ins (:mod:`nmf_kit.similarity`), the release's code left out.

The page holds no script and loads nothing (figures are PNG ``data:`` URIs, a
Content-Security-Policy forbids the rest); every name, id, message and line of code in
it is escaped with :func:`html.escape`: hand-ins are data, never markup.
"""

import base64
import contextlib
import csv
import html
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import similarity
from .errors import KitError

REPORTS = "reports"
TIMES = Path(".nmf-kit") / "times"
VERDICTS = Path(".nmf-kit") / "verdicts"
LAST_RUN = "autograde-report.csv"
NOT_GRADED = "Not graded automatically: "
FLAGGED = "Flagged for the instructor: "
CSP = (
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


# ----------------------------------------------------------------------------- times
def record_times(course, assignment, results):
    """Keep each hand-in's grading time (``nmf_kit.grading.batch.Result``) across runs.

    Skipped hand-ins keep their earlier time; written to ``.nmf-kit/times/<assignment>.json``.
    """
    path = Path(course) / TIMES / f"{assignment}.json"
    times = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for r in results:
        if r.status in ("graded", "failed"):
            times[r.student] = {"seconds": round(r.seconds, 1), "status": r.status, "worker": r.worker}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(times, indent=1, sort_keys=True), encoding="utf-8")
    return path


def _times(course, assignment):
    """``{student: seconds}``: the kept times, completed by the last run's CSV."""
    found = {}
    last = Path(course) / LAST_RUN
    if last.is_file():
        with open(last, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get("status") in ("graded", "failed"):
                    with contextlib.suppress(KeyError, ValueError):
                        found[row["student"]] = float(row["seconds"])
    kept = Path(course) / TIMES / f"{assignment}.json"
    if kept.is_file():
        found.update(
            {s: float(v["seconds"]) for s, v in json.loads(kept.read_text(encoding="utf-8")).items()}
        )
    return found


def _last_run_reasons(course):
    """``{student: (status, reason)}`` of the last ``autograde-report.csv`` (may be stale)."""
    path = Path(course) / LAST_RUN
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            row["student"]: (row.get("status", ""), row.get("reason", "")) for row in csv.DictReader(handle)
        }


# ----------------------------------------------------------------------------- what is recorded
@dataclass
class Student:
    id: str
    name: str = ""
    status: str = "graded"  # graded, failed (a zero, flagged), not graded (no gradebook record)
    tests: float = 0.0
    hand_code: float = 0.0
    written: float = 0.0
    total: float = 0.0
    manual_left: bool = False
    flagged: bool = False
    reasons: list = field(default_factory=list)
    seconds: float | None = None
    lost: list = field(default_factory=list)  # test grade ids not at full points


@dataclass
class Cells:
    """The assignment's graded cells, by kind, with their points."""

    tests: dict = field(default_factory=dict)  # grade id -> points (autograder tests)
    hand_code: dict = field(default_factory=dict)  # hand-graded code cells (figures)
    written: dict = field(default_factory=dict)  # hand-graded markdown answers
    answers: dict = field(default_factory=dict)  # notebook -> [grade ids of code answer cells]
    boilerplate: list = field(default_factory=list)  # the release's code

    @property
    def max(self):
        return sum(self.tests.values()) + sum(self.hand_code.values()) + sum(self.written.values())


@dataclass
class Failure:
    """A test or a hidden check: who ran it, who lost it, with which messages."""

    test: str
    check: str  # "" for the test as a whole
    points: float
    ran: int = 0
    failed: int = 0
    messages: Counter = field(default_factory=Counter)  # masked message -> count
    example: dict = field(default_factory=dict)  # masked message -> one real message

    @property
    def pass_rate(self):
        return (self.ran - self.failed) / self.ran if self.ran else float("nan")

    def add(self, message):
        key = re.sub(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", "#", message)
        self.messages[key] += 1
        self.example.setdefault(key, message)


@dataclass
class ClassReport:
    assignment: str
    cells: Cells
    students: list
    tests: list
    checks: list
    pairs: list
    handins: dict  # name -> similarity.Handin
    submitted_only: list  # students with a submission and no gradebook record


def _cells(gradebook, assignment):
    cells = Cells()
    for notebook in gradebook.find_assignment(assignment).notebooks:
        answers = {c.name for c in notebook.solution_cells}
        kinds = {c.name: c.cell_type for c in notebook.source_cells}
        for grade_cell in notebook.grade_cells:
            points, kind = float(grade_cell.max_score), kinds.get(grade_cell.name, grade_cell.cell_type)
            if grade_cell.name not in answers:
                cells.tests[grade_cell.name] = points
            elif kind == "code":
                cells.hand_code[grade_cell.name] = points
            else:
                cells.written[grade_cell.name] = points
        cells.answers[notebook.name] = [
            c.name for c in notebook.source_cells if c.name in answers and c.cell_type == "code"
        ]
        cells.boilerplate += [c.source for c in notebook.source_cells if c.cell_type == "code"]
    return cells


def _students(gradebook, assignment, cells):
    students = []
    for submission in gradebook.assignment_submissions(assignment):
        person = submission.student
        name = " ".join(filter(None, [person.first_name, person.last_name]))
        student = Student(submission.student_id, name, manual_left=bool(submission.needs_manual_grade))
        for notebook in submission.notebooks:
            student.flagged |= bool(notebook.flagged)
            for grade in notebook.grades:
                score = float(grade.score or 0.0)
                if grade.name in cells.tests:
                    student.tests += score
                    if (grade.auto_score or 0.0) < grade.max_score:
                        student.lost.append(grade.name)
                elif grade.name in cells.hand_code:
                    student.hand_code += score
                else:
                    student.written += score
            for comment in notebook.comments:
                text = (comment.auto_comment or "").strip()
                if text.startswith(NOT_GRADED):
                    student.status = "failed"
                    student.reasons.append(text[len(NOT_GRADED) :].rstrip("."))
                elif text.startswith(FLAGGED):
                    student.reasons.append(text[len(FLAGGED) :])
        student.reasons = list(dict.fromkeys(student.reasons))
        student.total = student.tests + student.hand_code + student.written
        students.append(student)
    return sorted(students, key=lambda s: s.id)


def _cells_of(path):
    """A notebook's cells as dicts, read as plain JSON (nbformat's validation costs ten times as
    much, which 500 hand-ins feel); None when it is not a notebook."""
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
            notebook = nbformat.read(path, as_version=4)  # an older format, converted
    except Exception:  # noqa: BLE001 - not a notebook: the report says less, not nothing
        return None
    cells = []
    for cell in notebook["cells"]:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        meta = cell.get("metadata", {})
        nbgrader = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
        cells.append(
            {
                "grade_id": nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None,
                "cell_type": cell.get("cell_type"),
                "source": "".join(source) if isinstance(source, list) else str(source),
                "outputs": cell.get("outputs", []) if isinstance(cell.get("outputs"), list) else [],
            }
        )
    return cells


def _visible_errors(course, assignment, student):
    """``{test grade id: "Error: message"}`` of the test cells whose visible part raised."""
    errors = {}
    for path in sorted((Path(course) / "autograded" / student / assignment).glob("*.ipynb")):
        for cell in _cells_of(path) or []:
            for output in cell["outputs"]:
                if isinstance(output, dict) and output.get("output_type") == "error":
                    first = (str(output.get("evalue", "")).strip().splitlines() or [""])[0][:200]
                    errors[cell["grade_id"]] = f"{output.get('ename', 'Error')}: {first}".rstrip(": ")
    return errors


def _failures(course, assignment, cells, students):
    tests = {t: Failure(t, "", p) for t, p in cells.tests.items()}
    checks = {}
    for student in students:
        if student.status != "graded":
            continue  # a zero for not being graded says nothing about a test
        path = Path(course) / VERDICTS / assignment / f"{student.id}.json"
        records = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        entries = {t: e for record in records.values() for t, e in record.get("cells", {}).items()}
        errors = _visible_errors(course, assignment, student.id) if student.lost else {}
        for test, failure in tests.items():
            failure.ran += 1
            entry = entries.get(test, {})
            if test in student.lost:
                failure.failed += 1
                if not entry or not entry.get("visible_ok", True):
                    failure.add("visible part: " + errors.get(test, "the cell raised an error"))
                for verdict in entry.get("verdicts", []):
                    if not verdict.get("passed"):
                        failure.add(verdict.get("message") or verdict.get("check", "?"))
            for verdict in entry.get("verdicts", []):
                key = (test, verdict.get("check", "?"))
                check = checks.setdefault(key, Failure(test, key[1], failure.points))
                check.ran += 1
                if not verdict.get("passed"):
                    check.failed += 1
                    check.add(verdict.get("message") or key[1])
    order = lambda f: (-f.failed, -f.failed * f.points, f.test, f.check)  # noqa: E731
    return sorted(tests.values(), key=order), sorted(checks.values(), key=order)


def _answer_code(course, assignment, cells, students):
    """``{student: {cell: source}}``: the code answer cells as handed in."""
    code = {}
    several = len(cells.answers) > 1
    for student in students:
        cells_of = {}
        for notebook_name, answer_ids in cells.answers.items():
            for folder in ("submitted", "autograded"):
                path = Path(course) / folder / student / assignment / f"{notebook_name}.ipynb"
                if path.is_file():
                    break
            for cell in _cells_of(path) or []:
                if cell["cell_type"] == "code" and cell["grade_id"] in answer_ids:
                    name = f"{notebook_name}/{cell['grade_id']}" if several else cell["grade_id"]
                    cells_of[name] = cell["source"]
        code[student] = cells_of
    return code


def gather(course, assignment, threshold=similarity.THRESHOLD):
    """What the report says, read from the course (see the module docstring)."""
    from .gradebook import open_gradebook

    course = Path(course)
    try:
        with open_gradebook(course) as gradebook:
            cells = _cells(gradebook, assignment)
            students = _students(gradebook, assignment, cells)
    except KitError:
        raise
    except Exception as exc:  # noqa: BLE001 - MissingEntry, a database that cannot be opened
        raise KitError(
            f"cannot read {assignment} from the gradebook ({type(exc).__name__}: {str(exc)[:200]}): "
            "run `nmf-kit release` and `nmf-kit autograde` first, or check c.CourseDirectory.db_url."
        ) from None
    times = _times(course, assignment)
    for student in students:
        student.seconds = times.get(student.id)
    known = {s.id for s in students}
    submitted = course / "submitted"
    last = _last_run_reasons(course)
    submitted_only = []
    if submitted.is_dir():
        for folder in sorted(submitted.glob(f"*/{assignment}")):
            if folder.is_dir() and folder.parent.name not in known:
                _, reason = last.get(folder.parent.name, ("", ""))
                cause = reason or "no record in the gradebook: run `nmf-kit autograde`"
                submitted_only.append(Student(folder.parent.name, status="not graded", reasons=[cause]))
    tests, checks = _failures(course, assignment, cells, students)
    code = _answer_code(course, assignment, cells, [s.id for s in students] + [s.id for s in submitted_only])
    handins = similarity.prepare(code, cells.boilerplate)
    pairs = similarity.similar_pairs(handins, threshold=threshold)
    return ClassReport(
        assignment, cells, students, tests, checks, pairs, {h.name: h for h in handins}, submitted_only
    )


# ----------------------------------------------------------------------------- the page
def _figure(draw, width=6.0, height=2.6):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    try:
        draw(ax)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    finally:
        plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img class="figure" alt="figure" src="data:image/png;base64,{data}">'


def _histogram(values, maximum, label):
    def draw(ax):
        bins = [x - 0.5 for x in range(int(maximum) + 2)]
        ax.hist(values, bins=bins, color="#4a7ab5", edgecolor="white")
        ax.set_xlabel(label)
        ax.set_ylabel("hand-ins")
        ax.set_xlim(-0.5, maximum + 0.5)
        ax.yaxis.get_major_locator().set_params(integer=True)

    return _figure(draw)


def _pass_rates(tests):
    def draw(ax):
        names = [t.test for t in tests][::-1]
        rates = [100 * t.pass_rate for t in tests][::-1]
        ax.barh(names, rates, color="#5a9e6f")
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of graded hand-ins passing")

    return _figure(draw, height=0.3 * len(tests) + 1.0)


def _times_figure(students):
    timed = sorted((s for s in students if s.seconds is not None), key=lambda s: s.seconds)

    def draw(ax):
        ax.hist(
            [s.seconds for s in timed], bins=min(30, max(5, len(timed))), color="#b5804a", edgecolor="white"
        )
        ax.set_xlabel("seconds to grade one hand-in")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel("hand-ins")

    return _figure(draw) if timed else "<p>No grading times recorded.</p>"


def _e(value):
    return html.escape(str(value), quote=True)


def _points(value):
    return f"{value:g}"


def _table(header, rows, cls=""):
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _marked(source, spans):
    """``source`` escaped, with ``spans`` (character ranges) in <mark>."""
    out, at = [], 0
    for lo, hi in spans:
        out += [_e(source[at:lo]), f"<mark>{_e(source[lo:hi])}</mark>"]
        at = hi
    out.append(_e(source[at:]))
    return "".join(out)


def _side(handin, shared):
    regions = similarity.matched_regions(handin, shared)
    parts = []
    for cell, source in handin.cells.items():
        if cell in regions:
            parts.append(f"<h5>{_e(cell)}</h5><pre>{_marked(source, regions[cell])}</pre>")
    return "".join(parts)


def _who(student):
    return _e(student.id) + (f" <span class='name'>({_e(student.name)})</span>" if student.name else "")


def _messages(failure, limit=4):
    items = [
        f"<li>{count} × {_e(failure.example[key])}</li>" for key, count in failure.messages.most_common(limit)
    ]
    more = len(failure.messages) - limit
    return "<ul>" + "".join(items) + (f"<li>… {more} other messages</li>" if more > 0 else "") + "</ul>"


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:78em;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;
vertical-align:top}th{background:#f0f0f0}.num{text-align:right}.note{background:#fff7d6;padding:.5em 1em;
border-left:4px solid #e0b000}pre{background:#f7f7f7;padding:.4em;overflow-x:auto;font-size:85%;
white-space:pre-wrap}mark{background:#ffd27a}.pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.figure{max-width:100%;border:1px solid #ddd}.name{color:#666}ul{margin:0;padding-left:1.2em}
"""


SIMILARITY_NOTE = (
    "<p class='note'><b>Similarity is a reason to look, not proof.</b> Short functions that follow the "
    "exercise's formulas look alike when written independently, and students may have worked together as "
    "allowed. Compared: the code of the answer cells, with the release's own code left out; renamed "
    "variables, reformatting and reordered functions or cells do not hide a copy. Share: the part of each "
    "hand-in's code found in the other; pairs are listed from {threshold:.0f}%.</p>"
)


def _points_note(cells):
    """Why nbgrader's code score reads 12/14 while the notebook says 12 automatic points."""
    tests, hand, written = (sum(d.values()) for d in (cells.tests, cells.hand_code, cells.written))
    figures = _e(", ".join(cells.hand_code)) or "none"
    return (
        f"<p class='note'>Points: <b>{_points(tests)}</b> automatic (the tests), <b>{_points(hand)}</b> "
        f"for hand-graded code cells (figures: {figures}) and <b>{_points(written)}</b> for written "
        f"answers, {_points(cells.max)} in all. nbgrader's <i>code score</i> (formgrader, grades.csv) "
        f"counts the hand-graded figure cells as code, so it reads out of {_points(tests + hand)}, while "
        f"the notebook and this page say {_points(tests)} automatic points. Until a person grades them, "
        f"the figure cells and written answers count 0: feedback generated now shows at most "
        f"{_points(tests)}/{_points(cells.max)}.</p>"
    )


def render(report):
    """The page (a string) of a :class:`ClassReport`."""
    cells, students = report.cells, report.students
    tests_max = sum(cells.tests.values())
    graded = [s for s in students if s.status == "graded"]
    pending = sum(s.manual_left for s in students)
    a = _e(report.assignment)
    parts = [
        (
            f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
            f"<title>{a}: class report</title><style>{_STYLE}</style></head><body>"
        ),
        f"<h1>{a}: class report</h1>",
        (
            f"<p>{len(students)} hand-ins in the gradebook: {len(graded)} graded automatically, "
            f"{len(students) - len(graded)} failed to grade (a flagged zero); "
            f"{len(report.submitted_only)} submitted without a gradebook record; "
            f"{sum(s.flagged for s in students)} flagged; {pending} still wait for hand grading.</p>"
        ),
        "<h2>Scores</h2>",
        _points_note(cells),
        _histogram([s.tests for s in graded], tests_max, f"automatic points (of {_points(tests_max)})"),
        _histogram([s.total for s in students], cells.max, f"total points so far (of {_points(cells.max)})"),
        (
            "<h2>Tests</h2><p>Ordered by how many students lost the test's points. Messages are grouped "
            "with their numbers masked; one example of each is shown.</p>"
        ),
        _pass_rates(report.tests) if report.tests else "",
        _table(
            ["test", "points", "passed", "lost by", "most frequent failures"],
            [
                [_e(t.test), _points(t.points), f"{100 * t.pass_rate:.0f}%", str(t.failed), _messages(t)]
                for t in report.tests
            ],
        ),
        "<h3>Hidden checks</h3>",
        _table(
            ["test", "hidden check", "passed", "failed by", "most frequent messages"],
            [
                [_e(c.test), _e(c.check), f"{100 * c.pass_rate:.0f}%", str(c.failed), _messages(c)]
                for c in report.checks
            ],
        ),
        "<h2>Flagged and not graded</h2>",
    ]
    flagged = [s for s in students if s.flagged or s.status != "graded"] + report.submitted_only
    parts.append(
        _table(
            ["student", "status", "reasons"],
            [
                [_who(s), _e(s.status + (", flagged" if s.flagged else "")), _e("; ".join(s.reasons))]
                for s in flagged
            ],
        )
        if flagged
        else "<p>None.</p>"
    )
    timed = sorted((s for s in students if s.seconds is not None), key=lambda s: -s.seconds)
    parts += [
        "<h2>Time per hand-in</h2>",
        f"<p>{len(timed)} of {len(students)} hand-ins have a recorded grading time"
        + (f"; median {sorted(s.seconds for s in timed)[len(timed) // 2]:.1f} s" if timed else "")
        + ".</p>",
        _times_figure(students),
        "<h3>Slowest</h3>",
        _table(
            ["student", "seconds", "status"],
            [[_who(s), f"{s.seconds:.1f}", _e(s.status)] for s in timed[:10]],
        ),
        "<h2>Similar hand-ins</h2>",
        SIMILARITY_NOTE.format(threshold=100 * similarity.THRESHOLD),
    ]
    if report.pairs:
        everyone = {s.id: s for s in students + report.submitted_only}
        parts.append(
            _table(
                ["hand-in A", "hand-in B", "share of A", "share of B", "matching fingerprints"],
                [
                    [
                        _who(everyone[p.a]),
                        _who(everyone[p.b]),
                        f"{100 * p.share_a:.0f}%",
                        f"{100 * p.share_b:.0f}%",
                        str(p.matches),
                    ]
                    for p in report.pairs
                ],
            )
        )
        for p in report.pairs[:25]:
            left, right = report.handins[p.a], report.handins[p.b]
            parts.append(
                f"<details><summary>{_e(p.a)} and {_e(p.b)}: {100 * p.share:.0f}%</summary>"
                f"<div class='pair'><div><h4>{_e(p.a)}</h4>{_side(left, p.shared)}</div>"
                f"<div><h4>{_e(p.b)}</h4>{_side(right, p.shared)}</div></div></details>"
            )
    else:
        parts.append("<p>No pair of hand-ins reaches the threshold.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_report(course, assignment, output=None):
    """Write ``reports/<assignment>-report.html`` and its CSV files into ``course``.

    Returns
    -------
    page : pathlib.Path
        The page; the CSV files (``<assignment>-students.csv``, ``-tests.csv``,
        ``-failures.csv``, ``-similar.csv``) are beside it.
    """
    report = gather(course, assignment)
    folder = Path(output) if output else Path(course) / REPORTS
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / f"{assignment}-report.html"
    page.write_text(render(report), encoding="utf-8")
    stem = folder / assignment
    _write_csv(
        f"{stem}-students.csv",
        ["student", "status", "tests", "hand-graded code", "written", "total", "max", "manual grading left",
         "flagged", "seconds", "tests lost", "reasons"],
        [
            [s.id, s.status, s.tests, s.hand_code, s.written, s.total, report.cells.max, s.manual_left,
             s.flagged, "" if s.seconds is None else s.seconds, " ".join(s.lost), "; ".join(s.reasons)]
            for s in report.students + report.submitted_only
        ],
    )  # fmt: skip
    _write_csv(
        f"{stem}-tests.csv",
        ["test", "hidden check", "points", "ran", "failed", "pass rate"],
        [
            [f.test, f.check, f.points, f.ran, f.failed, round(f.pass_rate, 4)]
            for f in report.tests + report.checks
        ],
    )
    _write_csv(
        f"{stem}-failures.csv",
        ["test", "hidden check", "count", "message"],
        [
            [f.test, f.check, count, f.example[key]]
            for f in report.tests + report.checks
            for key, count in f.messages.most_common()
        ],
    )
    _write_csv(
        f"{stem}-similar.csv",
        ["a", "b", "share of a", "share of b", "matching fingerprints"],
        [[p.a, p.b, round(p.share_a, 4), round(p.share_b, 4), p.matches] for p in report.pairs],
    )
    return page
