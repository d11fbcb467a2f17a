"""Displays HTML holding a <script>: nbconvert copies it, live, into the feedback page and into
the formgrader's page of this submission (the same HTMLExporter and the course's config), where
it runs in the instructor's Jupyter session (stored XSS: it can call the server's API as the
instructor: kernels, terminals, the gradebook)."""

REPORTS = ["<script>window.XSSRAN=1</script>"]
ANSWERS = {
    "update_rules": """
from IPython.display import HTML, display
display(HTML("<script>window.XSSRAN=1</script>"))
""",
}
