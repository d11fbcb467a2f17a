"""Raw HTML in markdown, raw cells and outputs: script elements, and markup that parsers read
differently (mutation XSS: noscript, comments, math/svg namespaces, template), and script in
output kinds a page may write as is (application/javascript, widget views and widget state)."""

from nbformat.v4 import new_markdown_cell, new_output, new_raw_cell

_MARKUP = (
    "<script>PWN</script><SCRIPT SRC=CANARY/src.js></SCRIPT>"
    '<noscript><p title="</noscript><img src=x onerror=PWN>"></noscript>'
    "<!--<img src=x onerror=PWN>--><!-- --><img src=x onerror=PWN> -->"
    "<math><mtext><table><mglyph><style><img src=x onerror=PWN></style></mglyph></table></mtext></math>"
    '<svg><style><img src=x onerror="PWN"></style></svg>'
    "<template><img src=x onerror=PWN></template><xmp><img src=x onerror=PWN></xmp>"
    '<textarea></textarea><img src=x onerror="PWN">'
)

ANSWERS = {
    "update_rules": f"""
from IPython.display import HTML, Javascript, display
display(HTML({_MARKUP!r}))
display(Javascript("PWN"))
""",
    "loss_answer": "Markup in markdown:\n\n" + _MARKUP,
}


def TRANSFORM(notebook):
    raw = new_raw_cell("<script>PWN</script><img src=x onerror=PWN>")
    raw.metadata["raw_mimetype"] = "text/html"
    notebook.cells.insert(17, raw)
    notebook.cells.insert(18, new_markdown_cell(_MARKUP))
    view = "application/vnd.jupyter.widget-view+json"
    notebook.cells[3].outputs = [
        new_output("display_data", data={"application/javascript": "PWN", "text/plain": "js"}),
        new_output("display_data", data={view: {"model_id": "</script><script>PWN</script>"}}),
        new_output("display_data", data={"text/html": _MARKUP}),
    ]
    notebook.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {"m": "</script><script>PWN</script>"}}
    }
    return notebook
