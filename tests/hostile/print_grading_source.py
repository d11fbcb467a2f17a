"""Prints the hidden checks' and the reference solutions' code into its own outputs (so that
they would show in its feedback): from disk if reachable, else lines it knows by heart
(the kit's code is public); PRINTED_LINES, filled in by the test from the kit's own files."""

PRINTED_LINES = []  # set by tests/test_hostile.py: lines of nmf_helpers to print
ANSWERS = {
    "update_rules": """
import glob, inspect, sys
for pattern in ("/**/nmf_helpers/grading/*.py", "/**/nmf_helpers/nmf.py"):
    for path in glob.glob(pattern, recursive=True)[:3]:
        try:
            print(open(path).read())
        except OSError as exc:
            print("cannot read", path, exc)
try:
    import nmf_helpers.grading.ex08 as ex08
    print(inspect.getsource(ex08))
except Exception as exc:
    print("no grading module:", type(exc).__name__)
print(KNOWN_LINES)
""",
}
