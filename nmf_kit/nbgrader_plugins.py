"""nbgrader plug-ins of the course, named in nbgrader_config.py (the grading ones are in
:mod:`nmf_kit.grading.trusted`)."""

import functools
import json
import re
from pathlib import Path

import nbformat
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
    """Caps on what a hand-in's outputs may weigh in the autograded notebook and the feedback.

    nbgrader's LimitOutput counts lines; a hand-in that prints hundreds of MB on a few lines,
    or shows huge images or JSON, would otherwise land in the gradebook's notebook, the
    formgrader and the feedback (and in the memory of the process that records it). Each text
    output is cut to ``max_chars``, any other output of more than ``max_bytes`` is replaced by a
    note, and once the notebook's outputs reach ``max_total`` the rest are replaced by notes.
    """

    max_chars = Integer(100_000, help="characters kept per text output").tag(config=True)
    max_bytes = Integer(1_000_000, help="largest other output (an image, JSON), in characters").tag(
        config=True
    )
    max_total = Integer(10_000_000, help="characters of all outputs of a notebook").tag(config=True)

    def preprocess(self, nb, resources):
        self._left = self.max_total
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = self._cut(_text(output.get("text", "")))
            for key, value in list(output.get("data", {}).items()):
                size = len(value) if isinstance(value, str) else len(json.dumps(value))
                if key.startswith("text/") and size > self.max_chars:
                    output["data"][key] = self._cut(_text(value))
                elif not key.startswith("text/") and size > self.max_bytes:
                    del output["data"][key]
                    output["data"].setdefault(
                        "text/plain", f"[a {key} output of {size:,} characters removed by the grader]"
                    )
            size = len(json.dumps(output))
            if size > self._left:
                output = nbformat.v4.new_output(
                    "stream", name="stdout", text="[output removed: the notebook's outputs were too large]\n"
                )
            self._left -= min(size, self._left)
            kept.append(output)
        if "outputs" in cell:
            cell.outputs = kept
        return cell, resources

    def _cut(self, text):
        if len(text) <= self.max_chars:
            return text
        return (
            text[: self.max_chars] + f"\n... [{len(text) - self.max_chars:,} characters cut by the grader]\n"
        )


def _text(value):
    return "".join(value) if isinstance(value, list) else str(value)


# What a hand-in's outputs may be in the autograded notebook: kinds that cannot run code. Their HTML
# is cleaned here (clean_html) and again, once rendered, in every page (nmf_kit.pages).
SAFE_OUTPUTS = frozenset({"text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg",
                          "image/gif", "application/json"})  # fmt: skip


def clean_html(text):
    """``text`` with only harmless HTML (:func:`nmf_kit.pages.clean_fragment`, an allow-list)."""
    from .pages import clean_fragment

    return clean_fragment(text)


class NeutraliseActiveContent(NbGraderPreprocessor):
    """No live content from a hand-in in the autograded notebook, the formgrader or the feedback.

    Outputs keep only kinds that cannot run code (text, images, JSON); HTML and markdown
    outputs and the markdown cells a student wrote (cells not locked by the source) are
    held to the pages' allow-list (:func:`clean_html`), so that the autograded notebook
    opened live in JupyterLab holds no script either. The pages themselves do not rely on
    this: each cleans what it shows once rendered (:mod:`nmf_kit.pages`).
    """

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and not meta.get("locked"):
            cell.source = clean_html(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            for key in [k for k in data if k not in SAFE_OUTPUTS]:
                del data[key]
            for key in ("text/html", "text/markdown"):
                if key in data:
                    data[key] = clean_html(_text(data[key]))
            if not data:
                data["text/plain"] = "[an output that could run code was removed by the grader]"
        return cell, resources
