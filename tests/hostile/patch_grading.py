"""Replaces the functions of nmf_helpers.grading with no-ops (if it can import it), and puts a
fake nmf_helpers.grading into sys.modules so that a hidden `run_checks` would do nothing."""

REPORTS = ["IMPORTED-GRADING"]
ANSWERS = {
    "update_rules": """
import sys, types
try:
    import nmf_helpers.grading as grading
    grading.run_checks = lambda *a, **k: None
    grading.decide = lambda *a, **k: None
    print("IMPORTED-GRADING")
except Exception as exc:
    print("could not import the grading package:", type(exc).__name__)
fake = types.ModuleType("nmf_helpers.grading")
fake.run_checks = lambda *a, **k: None
sys.modules["nmf_helpers"] = types.ModuleType("nmf_helpers")
sys.modules["nmf_helpers.grading"] = fake
""",
}
