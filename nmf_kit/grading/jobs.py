"""What a worker is sent: the job model, and the jobs made from a course's submissions.

A :class:`Job` is plain data: a hand-in's files (regular files only; a submission holding a
link, a fifo or a device is refused, never followed), its seed (an HMAC of the course's
secret and the files, so a re-grade draws the same hidden inputs and another hand-in others),
and the course's grading :class:`Bundle` (its ``nbgrader_config.py``, ``source/<assignment>``
and a gradebook holding only the assignment's source cells, checked against the course's
own). A worker returns an :class:`Outcome`. Nothing here runs a kernel or writes the course.
"""

import hashlib
import hmac
import json
import os
import secrets
import socket
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..command import nbgrader_command, nbgrader_environment
from ..errors import KitError

MAX_HANDIN_BYTES = 50 * 2**20  # the files of one hand-in sent to a worker


@dataclass(frozen=True)
class Bundle:
    """What a worker needs of the course: config, the assignment's source files, a gradebook."""

    assignment: str
    config: str  # the text of nbgrader_config.py
    source: dict  # relative path -> bytes, under source/<assignment>/
    gradebook: bytes  # SQLite gradebook with the assignment's source cells only
    digest: str = ""

    @property
    def notebooks(self):
        return sorted(p for p in self.source if p.endswith(".ipynb"))


@dataclass(frozen=True)
class Options:
    """How to grade: the cell timeout, the wall-time cap, the sandbox, threads per kernel."""

    cell_timeout: int = 180
    handin_timeout: int = 600
    sandbox: dict = field(default_factory=dict)  # Sandbox traits; {"tool": "none"} grades unsandboxed
    data_folder: str | None = None  # None: the worker's own NMF_HELPERS_DATA
    threads: int = 1
    grader_memory: int | None = None  # bytes for the nbgrader process of a hand-in; None: see grader_memory()


@dataclass(frozen=True)
class Job:
    student: str
    files: dict  # relative path -> bytes, as submitted (regular files only)
    seed: int
    bundle: Bundle
    options: Options = Options()


@dataclass
class Outcome:
    """What grading one hand-in gave.

    ``status``: "graded" (``notebooks`` and ``record`` hold the result), "failed"
    (the hand-in could not be graded, ``reason`` says why: it gets a zero, flagged),
    or "error" (the grader itself failed, e.g. the sandbox: not the student's fault,
    nothing is recorded).
    """

    student: str
    status: str
    seconds: float
    reason: str = ""
    notebooks: dict = field(default_factory=dict)  # name -> executed notebook (JSON text)
    records: dict = field(default_factory=dict)  # name -> trusted record (verdicts)
    log: str = ""
    worker: str = field(default_factory=socket.gethostname)


def write_tree(root, files):
    for relative, data in files.items():
        path = root / relative
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise ValueError(f"unsafe path in a job: {relative}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


SECRET = Path(".nmf-kit") / "secret"


def plain_tree(folder):
    """Why a submission folder is not a tree of plain files and folders (a link, a fifo, a
    device: never followed or opened), or ''."""
    folder = Path(folder)
    for path in (folder.parent, folder):
        if path.is_symlink():
            return f"{path.name} is a symbolic link"
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            mode = os.lstat(os.path.join(root, name)).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a plain file"
                return f"{Path(root, name).relative_to(folder)} is {kind}"
    return ""


def _files(folder):
    """The submission's plain files, as bytes (checkpoints left out)."""
    files = {}
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
        for name in names:
            path = Path(root, name)
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as handle:
                files[str(path.relative_to(folder))] = handle.read()
    return files


def course_secret(course):
    """The course's secret for hand-in seeds (made once, readable by its owner only)."""
    path = Path(course) / SECRET
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def handin_seed(secret, assignment, student, files):
    """The seed of a hand-in's hidden inputs: the same hand-in always gets the same inputs,
    another hand-in (or another student) other ones, and nobody can compute them without
    the course's secret."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    message = f"{assignment}\0{student}\0".encode() + digest.digest()
    return int.from_bytes(hmac.new(secret, message, "sha256").digest()[:8], "big") >> 1


def make_bundle(course, assignment, config_text, gradebook_url):
    """The course's grading material for workers, checked against the course's gradebook.

    The worker's gradebook holds the assignment's source cells, made by ``nbgrader
    generate_assignment`` from ``source/<assignment>`` into a private SQLite file;
    they must equal the course's own (else the release is stale).
    """
    source = Path(course) / "source" / assignment
    files = {
        str(p.relative_to(source)): p.read_bytes()
        for p in sorted(source.rglob("*"))
        if p.is_file() and not p.is_symlink() and not {"__pycache__", ".ipynb_checkpoints"} & set(p.parts)
    }
    with tempfile.TemporaryDirectory(prefix="nmf-kit-bundle-") as tmp:
        tmp = Path(tmp)
        (tmp / "nbgrader_config.py").write_text(config_text, encoding="utf-8")
        write_tree(tmp / "source" / assignment, files)
        url = f"sqlite:///{tmp / 'gradebook.db'}"
        run = subprocess.run(
            nbgrader_command("generate_assignment", assignment, "--force", root=tmp, db_url=url),
            cwd=tmp, capture_output=True, text=True, env=nbgrader_environment(),
        )  # fmt: skip
        if run.returncode != 0:
            tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-8:])
            raise KitError(
                f"could not prepare {assignment} for grading (nbgrader generate_assignment):\n{tail}"
            )
        stale = _cells_differ(url, gradebook_url, assignment)
        if stale:
            raise KitError(
                f"source/{assignment} has changed since its release was generated ({stale}): run "
                f"`nmf-kit release` (nbgrader generate_assignment {assignment}) and hand out the new "
                "release, "
                "or restore the source, before grading."
            )
        gradebook = (tmp / "gradebook.db").read_bytes()
    digest = hashlib.sha256(config_text.encode() + gradebook + json.dumps(sorted(files)).encode()).hexdigest()
    return Bundle(assignment, config_text, files, gradebook, digest)


def _cells(url, assignment):
    from nbgrader.api import Gradebook

    with Gradebook(url) as gradebook:
        found = {}
        for notebook in gradebook.find_assignment(assignment).notebooks:
            for cell in notebook.source_cells:
                found[(notebook.name, cell.name)] = (cell.cell_type, cell.checksum)
            for cell in notebook.grade_cells:
                found[(notebook.name, cell.name, "points")] = float(cell.max_score)
        return found


def _cells_differ(template, course, assignment):
    mine, theirs = _cells(template, assignment), _cells(course, assignment)
    changed = sorted(
        {key[1] for key in set(mine) ^ set(theirs)}
        | {k[1] for k in mine if k in theirs and mine[k] != theirs[k]}
    )
    return ", ".join(changed[:6]) + (" ..." if len(changed) > 6 else "")


def submitted_students(course, assignment):
    root = course / "submitted"
    return sorted(p.parent.name for p in root.glob(f"*/{assignment}") if p.is_dir()) if root.is_dir() else []


def make_jobs(course, assignment, students, options, config, db_url):
    """Jobs for the hand-ins that can be sent, and (student, reason) for those that cannot."""
    from ..submissions import place_notebook

    jobs, refused, notes = [], [], {}
    if not students:
        return jobs, refused, notes
    bundle = make_bundle(
        course, assignment, (course / "nbgrader_config.py").read_text(encoding="utf-8"), db_url
    )
    secret = course_secret(course)
    for student in students:
        folder = course / "submitted" / student / assignment
        problem = plain_tree(folder) if folder.is_dir() else f"no folder submitted/{student}/{assignment}"
        if not problem:
            try:
                notes[student] = place_notebook(folder, bundle.notebooks)
            except ValueError as exc:
                problem = f"{exc} (in submitted/{student}/{assignment})"
        if problem:
            refused.append((student, problem))
            continue
        files = _files(folder)
        jobs.append(Job(student, files, handin_seed(secret, assignment, student, files), bundle, options))
    return jobs, refused, notes
