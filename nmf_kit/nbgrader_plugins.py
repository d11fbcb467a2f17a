"""nbgrader plug-ins of the course, named in nbgrader_config.py."""

import re

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.S | re.M)
_NOTE = "# (hidden tests: run at grading; what they checked is said below when they failed)"


def has_hidden_tests(cell):
    return cell.cell_type == "code" and "### BEGIN HIDDEN TESTS" in cell.source


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without the hidden tests' code.

    Stock nbgrader copies hidden tests into the autograded notebook and so into
    the feedback HTML (nbgrader issues #917, #1363). For the feedback, each
    hidden block is replaced by a one-line note, and the error output of a
    cell with hidden tests is cut down to the exception's message: the
    traceback would quote the hidden code. The grades are unchanged (they
    were read before this runs); the autograded notebook keeps everything.
    """

    def preprocess_cell(self, cell, resources, index):
        if has_hidden_tests(cell):
            cell.source = _HIDDEN.sub(_NOTE, cell.source)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
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
