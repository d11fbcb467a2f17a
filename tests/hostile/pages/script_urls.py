"""javascript:, vbscript: and data:text/html URLs, wherever a URL can come from: markdown links,
images and autolinks, HTML and markdown outputs, a LaTeX \\href (becomes a MathML link), an
attachment of type text/html, an output marked `isolated` (nbconvert writes it as an iframe
of a data:text/html URL), and stored outputs."""

import base64

from nbformat.v4 import new_markdown_cell, new_output

_HTML = base64.b64encode(b"<script>top.nmfpwned=1</script>").decode()
_LINKS = (
    "[js](javascript:PWN) [JS](JaVaScRiPt:PWN) [tab](java\tscript:PWN) [vb](vbscript:msgbox(1)) "
    "[data](data:text/html,<script>PWN</script>) <javascript:PWN> "
    "![img](javascript:PWN) ![svg](data:image/svg+xml,<svg/onload=PWN>) [ent](&#106;avascript:PWN)"
)

ANSWERS = {
    "update_rules": f"""
from IPython.display import HTML, Markdown, Latex, display
display(HTML('<a href="javascript:PWN">a</a><a href=" javascript:PWN">b</a><a href="vbscript:x">c</a>'
             '<a href="data:text/html;base64,{_HTML}">d</a><img src="data:text/html,<script>PWN</script>">'))
display(Markdown({_LINKS!r}))
display(Latex(r"$\\href{{javascript:PWN}}{{click}} + x^2$"))
display({{"text/html": "<script>PWN</script><p>isolated</p>"}}, raw=True,
        metadata={{"text/html": {{"isolated": True}}}})
""",
    "loss_answer": _LINKS + r" and $\href{javascript:PWN}{x}$ and $$\href{data:text/html,PWN}{y}$$",
}


def TRANSFORM(notebook):
    cell = new_markdown_cell("![attached](attachment:page.html) ![a2](attachment:x.png)")
    cell.attachments = {"page.html": {"text/html": _HTML}, "x.png": {"image/svg+xml": _HTML}}
    notebook.cells.insert(17, cell)
    notebook.cells[3].outputs = [
        new_output("display_data", data={"text/html": "<script>PWN</script>"},
                   metadata={"text/html": {"isolated": True}}),
        new_output("display_data", data={"text/markdown": _LINKS}),
        new_output("display_data", data={"text/latex": r"$\href{javascript:PWN}{x}$"}),
    ]  # fmt: skip
    return notebook
