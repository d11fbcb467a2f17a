"""nbgrader plug-ins of the course, named in nbgrader_config.py (the grading ones are in
:mod:`nmf_kit.grading.trusted`)."""

import functools
import re
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.S | re.M)
_NOTE = "# (hidden tests: run at grading; what they checked is said below when they failed)"


def has_hidden_tests(cell):
    return cell.cell_type == "code" and "### BEGIN HIDDEN TESTS" in cell.source


@functools.cache
def _secret_lines():
    """Lines of the reference solutions and hidden checks (the ``nmf_helpers`` package's code)
    long enough to be recognised, whitespace-normalised."""
    import nmf_helpers

    lines = set()
    for path in Path(nmf_helpers.__file__).parent.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = " ".join(line.split())
            if len(line) >= 24 and not line.startswith("#"):
                lines.add(line)
    return frozenset(lines)


def _scrub(text, secret):
    """``text`` without the lines in ``secret``."""
    kept = [line for line in text.splitlines(keepends=True) if " ".join(line.split()) not in secret]
    if len(kept) == len(text.splitlines(keepends=True)):
        return text
    return "".join(kept) + "[lines quoting the grader's code were removed]\n"


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without the hidden tests' or the reference solutions' code.

    Stock nbgrader copies hidden tests into the autograded notebook and so into
    the feedback HTML (nbgrader issues #917, #1363). For the feedback, each
    hidden block is replaced by a one-line note, the error output of a cell
    with hidden tests is cut down to the exception's message (a traceback
    would quote the hidden code), and any output line that quotes the code of
    ``nmf_helpers`` (the reference solutions, the hidden checks) is removed,
    whatever printed it. The grades are unchanged (they were read before this
    runs); the autograded notebook keeps everything for instructors.
    """

    def preprocess(self, nb, resources):
        # Lines the notebook itself shows (the release's code, the student's own) are no secret.
        shown = {
            " ".join(line.split()) for cell in nb.cells for line in _HIDDEN.sub("", cell.source).splitlines()
        }
        self._secret = _secret_lines() - shown
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if has_hidden_tests(cell):
            cell.source = _HIDDEN.sub(_NOTE, cell.source)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = _scrub(output.get("text", ""), self._secret)
            elif output.get("output_type") == "error":
                output["evalue"] = _scrub(output.get("evalue", ""), self._secret)
                output["traceback"] = [_scrub(line, self._secret) for line in output.get("traceback", [])]
            for key, value in output.get("data", {}).items():
                if key.startswith("text/") and isinstance(value, str):
                    output["data"][key] = _scrub(value, self._secret)
        return cell, resources


class LimitOutputSize(NbGraderPreprocessor):
    """Cut each text output of an autograded cell to ``max_chars`` characters.

    nbgrader's LimitOutput counts lines; a hand-in that prints hundreds of MB on a
    few lines would otherwise land in the autograded notebook and the feedback.
    """

    max_chars = Integer(100_000, help="characters kept per output").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and len(output.get("text", "")) > self.max_chars:
                dropped = len(output["text"]) - self.max_chars
                output["text"] = (
                    output["text"][: self.max_chars] + f"\n... [{dropped:,} characters cut by the grader]\n"
                )
            for key, value in output.get("data", {}).items():
                if key.startswith("text/") and isinstance(value, str) and len(value) > self.max_chars:
                    output["data"][key] = value[: self.max_chars] + "\n... [cut by the grader]"
        return cell, resources
