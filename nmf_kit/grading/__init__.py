"""Grading hand-ins, one module per job:

- :mod:`~nmf_kit.grading.batch`: a class: jobs to workers (a local pool or a Dask cluster,
  :mod:`~nmf_kit.grading.cluster`), outcomes recorded as they arrive, the report;
- :mod:`~nmf_kit.grading.jobs`: what a worker is sent (files, seed, the course's bundle);
- :mod:`~nmf_kit.grading.worker`: one hand-in in a private course (nbgrader, limits);
- :mod:`~nmf_kit.grading.trusted`: the nbgrader plug-ins that decide the hidden checks outside
  the student's kernel, and :mod:`~nmf_kit.grading.check_kernel`, where an implementation's
  checks call it;
- :mod:`~nmf_kit.grading.sandbox`, :mod:`~nmf_kit.grading.kernel_launcher`,
  :mod:`~nmf_kit.grading.cgroups`: the boundary every kernel runs in;
- :mod:`~nmf_kit.grading.record`: writing outcomes into the course, once;
- :mod:`~nmf_kit.grading.blame`: whose failure it is.

Kept free of imports: :mod:`nmf_kit.grading.kernel_launcher` runs as
``python -m`` once per kernel start.
"""
