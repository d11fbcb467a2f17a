"""Implements nothing, but keeps the arguments of every call of its functions, and prints them
from a later answer cell (the digits cell): the calls the grader made during the hidden checks
(their random inputs, the random_state they pass, the reference factors some checks start
from) land in the autograded notebook and the student's feedback. The visible tests make five
calls; anything beyond those came from the hidden checks."""

REPORTS = ["HIDDEN-INPUTS-LEAKED"]
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
    print("HIDDEN-INPUTS-LEAKED:", len(SEEN) - 5, "calls made by the hidden checks")
    for name, data, kwargs in SEEN[5:12]:
        print(name, kwargs, data[:2])
""",
}
