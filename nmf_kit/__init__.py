"""nmf_kit: the instructors' tools of the NMF course kit.

The ``nmf-kit`` command line (:mod:`nmf_kit.cli`), the course folder, collection of
LMS downloads, class grading with trusted hidden checks in a sandbox, nbgrader
plug-ins, the demo and the lecture renderer. Tools use the library
(:mod:`nmf_helpers`, :mod:`nmf_course`), never the reverse.
"""

__version__ = "0.2.0"
