"""The course's deadline and team rules: asked by ``nmf-kit init``, kept in nbgrader_config.py.

``c.Policy.deadline`` and ``c.Policy.team_rules`` are the course's settings. ``nmf-kit init``
writes them there and into the introduction of the course's own ``source/<assignment>``
notebook (so the release students get states them); ``nmf-kit release`` gives the deadline to
nbgrader as the assignment's due date, so that nbgrader marks hand-ins collected after it late
(the formgrader shows it, and ``c.LateSubmissionPlugin`` can take points for it).
"""

import re
from datetime import UTC
from pathlib import Path

from traitlets import Unicode
from traitlets.config import Configurable

from .course import ASSIGNMENT, CONFIG, NOTEBOOK
from .errors import KitError

EXAMPLE = "2027-01-15 23:59 +01:00"
# The kit's introduction, as shipped: what init replaces.
DEADLINE_TEXT = re.compile(r"\*\*Deadline:\*\* the one on your course page\.")
TEAM_TEXT = re.compile(r"\*\*Team rules:\*\*.*?(?=\n\n|\Z)", re.S)


class Policy(Configurable):
    """The course's rules (``c.Policy.*`` in nbgrader_config.py, written by ``nmf-kit init``)."""

    deadline = Unicode("", help=f"when hand-ins are due, with a time zone, e.g. '{EXAMPLE}'").tag(config=True)
    team_rules = Unicode("", help="who may hand in together, and what students may share").tag(config=True)


def parse_deadline(text):
    """``text`` as an aware datetime; a one-line error naming ``--deadline`` otherwise."""
    from dateutil import parser

    try:
        when = parser.parse(text)
    except (ValueError, OverflowError):
        raise KitError(f"--deadline: {text!r} is not a date and time: write it like '{EXAMPLE}'.") from None
    if when.tzinfo is None:
        raise KitError(
            f"--deadline: {text!r} has no time zone, and students and the grader may be in different "
            f"ones: add it, like '{EXAMPLE}' or '2027-01-15 23:59 UTC'."
        )
    return when


def check_team_rules(text):
    """The team rules as one paragraph of plain text (they go into a markdown cell)."""
    text = " ".join(text.split())
    if not text:
        raise KitError("--team-rules: empty: say who may hand in together, e.g. 'on your own'.")
    if re.search(r"[<>`]|\[.*\]\(", text):
        raise KitError("--team-rules: write plain text, without HTML, code or links.")
    return text


def write(course, deadline="", team_rules="", assignment=ASSIGNMENT):
    """Record the policy in ``course``'s config and state it in its source notebook's introduction."""
    import nbformat

    if not deadline and not team_rules:
        return
    path = Path(course) / "source" / assignment / NOTEBOOK
    notebook = nbformat.read(path, as_version=4)
    intro = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "intro")
    lines = ["", "# The course's rules, set by `nmf-kit init` (the release's introduction states them)."]
    if deadline:
        when = parse_deadline(deadline)
        intro.source = DEADLINE_TEXT.sub(lambda _: f"**Deadline:** {deadline}.", intro.source)
        lines.append(f"c.Policy.deadline = {when.isoformat(sep=' ')!r}")
    if team_rules:
        rules = check_team_rules(team_rules)
        intro.source = TEAM_TEXT.sub(lambda _: f"**Team rules:** {rules}", intro.source)
        lines.append(f"c.Policy.team_rules = {rules!r}")
    nbformat.write(notebook, path)
    with open(Path(course) / CONFIG, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def ask(prompt, default=""):
    """One answer from the terminal (init asks only when run in one)."""
    answer = input(f"{prompt} [{default or 'none'}]: ").strip()
    return answer or default


def give_nbgrader_the_deadline(course, assignment):
    """Set ``assignment``'s due date in the gradebook from ``c.Policy.deadline`` (if set).
    Returns the deadline, or None."""
    from nbgrader.api import Gradebook

    from .course import course_directory

    coursedir = course_directory(course)  # its config is the course's nbgrader_config.py
    deadline = Policy(config=coursedir.config).deadline
    if not deadline:
        return None
    when = parse_deadline(deadline).astimezone(UTC)
    with Gradebook(coursedir.db_url) as gradebook:  # nbgrader keeps naive UTC
        gradebook.update_or_create_assignment(assignment, duedate=when.replace(tzinfo=None))
    return when
