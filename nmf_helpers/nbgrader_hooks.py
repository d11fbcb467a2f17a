"""nbgrader plug-ins of the course, named in nbgrader_config.py."""

import re

from nbgrader.preprocessors import NbGraderPreprocessor

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
