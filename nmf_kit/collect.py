"""Import hand-ins downloaded from a learning platform into nbgrader's submitted/.

An LMS gives one archive per student or team, with the student id in the file
name: ``s1234567_ex08.zip``, ``alice-ex08.zip``, ... (``--pattern`` takes a
regular expression with a group ``student_id`` for other schemes). Each
archive goes to ``submitted/<student_id>/<assignment>/``:

- the notebook is found wherever it sits in the archive (one folder too deep
  is common); a single notebook with another name is taken and renamed;
- an archive that is not a zip, is unsafe (absolute paths, ``..``, huge), or
  holds no notebook or several candidates is reported by name and skipped;
- an existing, different submission is never overwritten silently: it is
  skipped unless ``replace=True``, and then moved to ``replaced/`` first.
"""

import hashlib
import re
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat

# <student id>_<assignment>.zip or <student id>-<assignment>.zip; the id may hold '.' and '-'.
DEFAULT_PATTERN = r"^(?P<student_id>[A-Za-z0-9][A-Za-z0-9.-]*?)[_-]{assignment}\b"
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
_KEEP = (".ipynb", ".html")


@dataclass
class Outcome:
    archive: str
    student_id: str | None
    status: str  # "collected", "replaced", "unchanged", "skipped"
    message: str

    def __str__(self):
        who = f" -> {self.student_id}" if self.student_id else ""
        return f"{self.status:9s} {self.archive}{who}: {self.message}"


def _student_id(name, pattern, assignment):
    if pattern == DEFAULT_PATTERN:
        pattern = pattern.format(assignment=re.escape(assignment))
    match = re.search(pattern, name, re.I)
    if not match or "student_id" not in match.groupdict():
        return None
    student = match.group("student_id")
    return None if student.lower() == assignment.lower() else student


def _members(archive):
    """The notebook and HTML members worth keeping, checked for safety."""
    members, total = [], 0
    for info in archive.infolist():
        path = PurePosixPath(info.filename)
        if info.is_dir() or "__MACOSX" in path.parts or ".ipynb_checkpoints" in path.parts:
            continue
        if path.is_absolute() or ".." in path.parts:
            raise ValueError(f"unsafe path inside: {info.filename}")
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
        return notebooks[
            0
        ], f" (its notebook {PurePosixPath(notebooks[0].filename).name} renamed to {notebook_name})"
    if not notebooks:
        raise ValueError("no notebook inside")
    raise ValueError(f"{len(notebooks)} notebooks inside and none named {notebook_name}")


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def collect(
    downloads,
    course,
    assignment="ex08",
    notebook="nmf.ipynb",
    pattern=DEFAULT_PATTERN,
    replace=False,
    log=print,
):
    """Import every ``*.zip`` in ``downloads`` into ``course/submitted``.

    Returns the list of :class:`Outcome`, one per archive, also logged as it goes.
    """
    downloads, course = Path(downloads), Path(course)
    if not downloads.is_dir():
        raise FileNotFoundError(f"downloads folder {downloads} does not exist.")
    outcomes = []
    archives = sorted(p for p in downloads.iterdir() if p.is_file() and p.suffix.lower() == ".zip")
    if not archives:
        log(f"no .zip archives in {downloads}")
    seen = {}
    for path in archives:
        outcome = _collect_one(path, course, assignment, notebook, pattern, replace, seen)
        outcomes.append(outcome)
        log(str(outcome))
    return outcomes


def _collect_one(path, course, assignment, notebook_name, pattern, replace, seen):
    student = _student_id(path.name, pattern, assignment)
    if student is None:
        return Outcome(
            path.name,
            None,
            "skipped",
            f"no student id in the file name (pattern {pattern!r}); rename it like s1234567_{assignment}.zip",
        )
    if student in seen:
        return Outcome(
            path.name,
            student,
            "skipped",
            f"a second archive for {student} (first: {seen[student]}); keep one",
        )
    seen[student] = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(archive)
            chosen, note = _pick(members, notebook_name)
            notebook_bytes = archive.read(chosen)
            html = [m for m in members if m.filename.lower().endswith(".html")]
            html_bytes = archive.read(html[0]) if len(html) == 1 else None
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
                f"{target} already holds a different submission; use --replace to replace it (the old one is kept under replaced/)",
            )
        backup = course / "replaced" / student / f"{assignment}-{time.strftime('%Y%m%d-%H%M%S')}"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(target), str(backup))
        status, note = "replaced", note + f" (the old one moved to {backup.relative_to(course)})"
    target.mkdir(parents=True)
    old.write_bytes(notebook_bytes)
    if html_bytes is not None:
        (target / (Path(notebook_name).stem + ".html")).write_bytes(html_bytes)
    missing_html = "" if html_bytes is not None else "; no HTML export inside"
    return Outcome(path.name, student, status, f"{notebook_name}{note}{missing_html}{warning}")
