"""Implements nothing, but keeps the arguments of every call of its functions, and prints them
from a later answer cell (the digits cell): the calls the grader made during the hidden checks
(their random inputs, the random_state they pass, the reference factors some checks start
from) land in the autograded notebook and the student's feedback. The visible tests make five
calls; anything beyond those came from the hidden checks.

Any code that runs after a hidden check in the same kernel can see what the check passed (a list,
a file): this cannot be closed without running the checks in a second kernel. What makes it
harmless is that the inputs are drawn fresh for every hand-in (a seed from the course's secret
and the hand-in's files): what one hand-in sees is useless to any other, a resubmission included.
So this attack is not expected to see nothing: the test checks that two hand-ins of it, differing
by one character, see different inputs."""

OBSERVES = "HIDDEN-INPUTS-LEAKED"
ANSWERS = {
    "update_rules": """
SEEN = []
EPS = 1e-10
def update_h(data, Z, H, eps=EPS):
    SEEN.append(("update_h", np.asarray(data).round(6).tolist(), {}))
    raise NotImplementedError()
def update_z(data, Z, H, eps=EPS):
    SEEN.append(("update_z", np.asarray(data).round(6).tolist(), {}))
    raise NotImplementedError()
""",
    "non_negative": """
def non_negative(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
    asked = {"num_components": num_components, "num_iterations": num_iterations, "random_state": random_state}
    SEEN.append(("non_negative", np.asarray(data).round(6).tolist(), asked))
    raise NotImplementedError()
""",
    "digits_basis": """
if len(SEEN) > 5:
    import hashlib
    print("HIDDEN-INPUTS-LEAKED:", len(SEEN) - 5, "calls made by the hidden checks")
    for name, data, kwargs in SEEN:
        print("call", name, sorted(kwargs.items()), hashlib.sha256(repr(data).encode()).hexdigest()[:16])
""",
}
