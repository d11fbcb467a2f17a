"""Displays 35 MB of non-text outputs (15 image/png outputs of 2 MB, a 5 MB application/json):
the grader's cap on outputs (LimitOutputSize) counts only text/* data held as one string, so
the autograded notebook, the coordinator's copy of it and the feedback page grow with whatever
the kernel displays (no bound but the grader's memory); the marker at the end of each output
survives uncut."""

REPORTS = ["UNCUTxOUTPUTxMARKER"]
ANSWERS = {
    "update_rules": """
from IPython.display import display
_chunk = "iVBORw0KGgo" + "A" * 2_000_000 + "UNCUTxOUTPUTxMARKER"
for _ in range(15):
    display({"image/png": _chunk}, raw=True)
display({"application/json": {"rows": ["x" * 1000] * 5_000 + ["UNCUTxOUTPUTxMARKER"]}}, raw=True)
del _chunk
""",
}
