"""Sends the grader's kernel client a message it cannot handle (an ``execute_result`` without
``data``, straight through the kernel's session), so that the grader's own process fails while
it reads the notebook's outputs. Judged by where the exception surfaced, that is "the grader's
fault": no gradebook row, a re-run gives the same. Judged by cause, a known-good control grades
on the same grader, so the failure is this hand-in's: a zero, flagged, in the grader's words."""

ANSWERS = {
    "update_rules": """
kernel = get_ipython().kernel
kernel.session.send(kernel.iopub_socket, "execute_result", {"execution_count": 1, "metadata": {}},
                    parent=kernel.get_parent())
""",
}
