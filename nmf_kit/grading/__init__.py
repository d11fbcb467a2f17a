"""Grading hand-ins: trusted verdicts, the sandbox, one hand-in on a worker, a class in parallel.

Kept free of imports: :mod:`nmf_kit.grading.kernel_launcher` runs as
``python -m`` once per kernel start.
"""
