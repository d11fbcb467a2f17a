"""An answer cell no parser should have to read: 100,000 nested parentheses, then the stubs.
A code reader in the grader's process that parses the hand-in (recursively, unbounded) crashes
or runs out of stack there; here nothing of the hand-in is parsed in the grader (the check
kernel parses the cells itself, in the sandbox), so it is graded like any other notebook."""

STUBS = """

def update_h(data, Z, H, eps=1e-10):
    raise NotImplementedError


def update_z(data, Z, H, eps=1e-10):
    raise NotImplementedError
"""
ANSWERS = {"update_rules": "x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n" + STUBS}
