"""Import hand-ins downloaded from a learning platform into nbgrader's submitted/.

An LMS gives one archive per student or team, with the student id in the file
name: ``s1234567_ex08.zip``, ``alice-ex08.zip``, ... (``pattern`` takes a
regular expression with a group ``student_id`` for other schemes, and
optionally ``name`` or ``first_name``/``last_name``). Each archive goes to
``submitted/<student_id>/<assignment>/``:

- the notebook is found wherever it sits in the archive (one folder too deep
  is common); a single notebook with another name is taken and renamed;
- an archive that is not a zip, is unsafe (absolute paths, ``..``, links or
  device files, huge), or holds no notebook or several candidates is reported
  by name and skipped; so is a file name whose student id could not be a
  folder name (a path separator, ``..``, a glob character, a leading ``-``);
- an existing, different submission is never overwritten silently: it is
  skipped unless ``replace=True``, and then moved to ``replaced/`` first;
- the collection time goes to ``timestamp.txt`` (nbgrader's submission time),
  and names found in the file name go to the gradebook, for the formgrader.
"""

import hashlib
import re
import shutil
import stat
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import nbformat

from .course import ASSIGNMENT, NOTEBOOK, find_course
from .errors import KitError
from .progress import log as _log

# <student id>_<assignment>.zip or <student id>-<assignment>.zip; the id may hold '.' and '-'.
# "{assignment}" in a pattern stands for the assignment's name.
DEFAULT_PATTERN = r"^(?P<student_id>[A-Za-z0-9][A-Za-z0-9.-]*?)[_-]{assignment}\b"
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
_KEEP = (".ipynb", ".html")
_GLOB = set("*?[]")
_MARKUP = set("<>\"'&`")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # what nbgrader's parse_utc reads


@dataclass
class Outcome:
    archive: str
    student_id: str | None
    status: str  # "collected", "replaced", "unchanged", "skipped"
    message: str

    def __str__(self):
        who = f" -> {self.student_id}" if self.student_id else ""
        return f"{self.status:9s} {self.archive}{who}: {self.message}"


def compile_pattern(pattern, assignment):
    """The file-name pattern as a compiled regex, ``{assignment}`` filled in.

    Raises KitError when it is not a regular expression or has no group ``student_id``.
    """
    text = pattern.replace("{assignment}", re.escape(assignment))
    try:
        compiled = re.compile(text, re.I)
    except re.error as exc:
        raise KitError(f"--pattern {pattern!r} is not a valid regular expression ({exc}).") from exc
    if "student_id" not in compiled.groupindex:
        raise KitError(f"--pattern {pattern!r} has no group (?P<student_id>...) for the student id.")
    return compiled


def unsafe_student_id(student):
    """Why ``student`` cannot be a student id (a folder name under submitted/), or None."""
    if not student or not student.strip():
        return "it is empty"
    if "/" in student or "\\" in student:
        return "it holds a path separator"
    if ".." in student:
        return "it holds '..'"
    if _GLOB & set(student):
        return "it holds a glob character (* ? [ ])"
    if student.startswith(("-", ".")):
        return f"it starts with {student[0]!r}"
    if _MARKUP & set(student):
        # nbgrader's formgrader writes ids unescaped into its pages' HTML and scripts
        return "it holds a character of HTML or script syntax (< > \" ' & `)"
    if any(ord(c) < 32 or ord(c) == 127 for c in student) or student != student.strip():
        return "it holds control characters or surrounding spaces"
    return None


def _names(match):
    groups = {k: (v or "").strip() for k, v in match.groupdict().items()}
    first, last = groups.get("first_name", ""), groups.get("last_name", "")
    if not (first or last) and groups.get("name"):
        *given, family = groups["name"].split()
        first, last = " ".join(given), family
    return first or None, last or None


def _read_name(name, compiled, assignment):
    """``(student_id, first_name, last_name, problem)`` read from an archive's file name."""
    match = compiled.search(name)
    if not match or not match.group("student_id"):
        if not re.search(re.escape(assignment), name, re.I):
            return (
                None,
                None,
                None,
                (
                    f"the file name does not name the assignment {assignment} "
                    f"(expected like s1234567_{assignment}.zip)"
                ),
            )
        return (
            None,
            None,
            None,
            (
                f"no student id in the file name (pattern {compiled.pattern!r}); "
                f"rename it like s1234567_{assignment}.zip"
            ),
        )
    student = match.group("student_id")
    if student.lower() == assignment.lower():
        return None, None, None, f"no student id in the file name; rename it like s1234567_{assignment}.zip"
    problem = unsafe_student_id(student)
    if problem:
        return student, None, None, f"refused student id {student!r}: {problem}; rename the file"
    return (student, *_names(match), None)


def _file_type(info):
    """'regular', 'directory', or what else a zip member is (from its Unix mode, when it has one)."""
    mode = info.external_attr >> 16
    if info.is_dir() or stat.S_ISDIR(mode):
        return "directory"
    if not stat.S_IFMT(mode) or stat.S_ISREG(mode):
        return "regular"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    return "device or special file"


def _members(archive):
    """The notebook and HTML members worth keeping, checked for safety."""
    members, total = [], 0
    for info in archive.infolist():
        path = PurePosixPath(info.filename)
        kind = _file_type(info)
        if kind == "directory" or "__MACOSX" in path.parts or ".ipynb_checkpoints" in path.parts:
            continue
        if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
            raise ValueError(f"unsafe path inside: {info.filename}")
        if kind != "regular":
            raise ValueError(f"holds a {kind} ({info.filename}); a hand-in may hold regular files only")
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise ValueError(f"unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB")
        if path.suffix.lower() in _KEEP:
            members.append(info)
    return members


def _pick(members, notebook_name):
    notebooks = [m for m in members if m.filename.lower().endswith(".ipynb")]
    exact = [m for m in notebooks if PurePosixPath(m.filename).name == notebook_name]
    if len(exact) == 1:
        return exact[0], ""
    if len(exact) > 1:
        raise ValueError(f"{len(exact)} copies of {notebook_name} inside")
    if len(notebooks) == 1:
        renamed = PurePosixPath(notebooks[0].filename).name
        return notebooks[0], f" (its notebook {renamed} renamed to {notebook_name})"
    if not notebooks:
        raise ValueError("no notebook inside")
    raise ValueError(f"{len(notebooks)} notebooks inside and none named {notebook_name}")


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def collect(
    downloads,
    course,
    assignment=ASSIGNMENT,
    notebook=NOTEBOOK,
    pattern=DEFAULT_PATTERN,
    replace=False,
    log=None,
):
    """Import every ``*.zip`` in ``downloads`` into ``course/submitted``.

    Parameters
    ----------
    downloads : path-like
        The folder of the downloaded archives.
    course : path-like
        The course folder (with ``nbgrader_config.py``).
    assignment : str, default="ex08"
    notebook : str, default="nmf.ipynb"
        The name the notebook gets in ``submitted/<id>/<assignment>/``.
    pattern : str, default=DEFAULT_PATTERN
        Regular expression searched in each file name, with a group
        ``student_id``; groups ``name`` or ``first_name``/``last_name`` give
        the names recorded in the gradebook.
    replace : bool, default=False
        Replace a different earlier submission (moved to ``replaced/`` first).
    log : callable, default=None
        Given each outcome's line; by default they go to the ``nmf_kit`` logger.

    Returns
    -------
    outcomes : list of Outcome
        One per archive, in file-name order.

    Raises
    ------
    KitError
        When ``downloads`` is not a folder, ``course`` not a course folder, or
        ``pattern`` unusable.
    """
    log = log or _log.info
    course = find_course(course)
    downloads = Path(downloads).expanduser()
    if not downloads.is_dir():
        raise KitError(
            f"downloads folder {downloads} does not exist: give the folder of the LMS's zip files."
        )
    compiled = compile_pattern(pattern, assignment)
    archives = sorted(p for p in downloads.iterdir() if p.is_file() and p.suffix.lower() == ".zip")
    if not archives:
        log(f"no .zip archives in {downloads}")
    outcomes, seen, names = [], {}, {}
    for path in archives:
        outcome = _collect_one(path, course, assignment, notebook, compiled, replace, seen, names)
        outcomes.append(outcome)
        log(str(outcome))
    if names:
        from .gradebook import record_student

        for student, (first, last) in names.items():
            record_student(course, student, first, last)
    return outcomes


def _read_archive(path, notebook_name):
    with zipfile.ZipFile(path) as archive:
        members = _members(archive)
        chosen, note = _pick(members, notebook_name)
        notebook_bytes = archive.read(chosen)
        html = [m for m in members if m.filename.lower().endswith(".html")]
        html_bytes = archive.read(html[0]) if len(html) == 1 else None
    return notebook_bytes, html_bytes, note


def _collect_one(path, course, assignment, notebook_name, compiled, replace, seen, names):
    student, first, last, problem = _read_name(path.name, compiled, assignment)
    if problem:
        return Outcome(path.name, None, "skipped", problem)
    if student in seen:
        first_archive = seen[student]
        return Outcome(
            path.name, student, "skipped", f"a second archive for {student} ({first_archive}); keep one"
        )
    seen[student] = path.name
    try:
        notebook_bytes, html_bytes, note = _read_archive(path, notebook_name)
    except zipfile.BadZipFile:
        return Outcome(path.name, student, "skipped", "not a zip archive (damaged or another format)")
    except (ValueError, OSError) as exc:
        return Outcome(path.name, student, "skipped", str(exc))
    try:
        nbformat.reads(notebook_bytes.decode("utf-8"), as_version=4)
        warning = ""
    except Exception:  # noqa: BLE001 - kept and graded (as zero) rather than lost
        warning = "; WARNING: the notebook is not valid notebook JSON (it will be graded as it is)"

    target = course / "submitted" / student / assignment
    old = target / notebook_name
    status = "collected"
    if target.exists():
        if old.is_file() and _digest(old.read_bytes()) == _digest(notebook_bytes):
            return Outcome(path.name, student, "unchanged", "the same notebook is already submitted")
        if not replace:
            return Outcome(
                path.name,
                student,
                "skipped",
                f"{target} already holds a different submission; use --replace to replace it "
                "(the old one is kept under replaced/)",
            )
        backup = course / "replaced" / student / f"{assignment}-{time.strftime('%Y%m%d-%H%M%S')}"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(target), str(backup))
        status, note = "replaced", note + f" (the old one moved to {backup.relative_to(course)})"
    target.mkdir(parents=True)
    old.write_bytes(notebook_bytes)
    if html_bytes is not None:
        (target / (Path(notebook_name).stem + ".html")).write_bytes(html_bytes)
    (target / "timestamp.txt").write_text(datetime.now(UTC).strftime(TIMESTAMP_FORMAT))
    if first or last:
        names[student] = (first, last)
    missing_html = "" if html_bytes is not None else "; no HTML export inside"
    return Outcome(path.name, student, status, f"{notebook_name}{note}{missing_html}{warning}")
