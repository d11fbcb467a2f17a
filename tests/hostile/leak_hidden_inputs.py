"""Implements nothing, but keeps the arguments of every call of its functions, and prints them
from a later answer cell (the digits cell): any call beyond the visible tests' own would be a
hidden check's input (random data, the random_state it passes, a start it derived) landing in the
autograded notebook and the student's feedback.

The checks of an implementation now call the functions in the check kernel, a second kernel of
the hand-in: the notebook's own kernel, where later cells run, sees only the visible tests' calls.
So this attack sees nothing (and the inputs are drawn fresh per hand-in besides: a seed from the
course's secret and the hand-in's files). It prints how many calls it saw in any case, so that a
test can tell "saw none" from "never ran"."""

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
print("CALLS-SEEN:", len(SEEN))
if len(SEEN) > 5:
    import hashlib
    print("HIDDEN-INPUTS-LEAKED:", len(SEEN) - 5, "calls made by the hidden checks")
    for name, data, kwargs in SEEN:
        print("call", name, sorted(kwargs.items()), hashlib.sha256(repr(data).encode()).hexdigest()[:16])
""",
}
