"""nbgrader's settings for this folder, so that `nbgrader validate nmf.ipynb` run here finds them.

Students: nothing to change. Without this file nbgrader prints "No nbgrader_config.py file
found" before its result. The instructors' settings are in the course's own nbgrader_config.py.
"""

c = get_config()  # noqa: F821 - provided by nbgrader
c.Execute.timeout = 180  # seconds per cell, as when hand-ins are graded
