"""SVG with script, onload handlers, foreignObject (HTML inside SVG), use/xlink links and
animations setting href: as an image/svg+xml output (at grading and stored), inline in HTML
outputs and in markdown."""

from nbformat.v4 import new_output

_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" '
    'height="40" onload="PWN"><script>PWN</script><image href="CANARY/svg-image" width="1" height="1"/>'
    '<foreignObject width="40" height="40"><body xmlns="http://www.w3.org/1999/xhtml">'
    '<img src="x" onerror="PWN"/><iframe src="javascript:PWN"></iframe></body></foreignObject>'
    '<a xlink:href="javascript:PWN"><text y="20">link</text></a>'
    '<a><animate attributeName="href" values="javascript:PWN"/><text y="30">anim</text></a>'
    '<use href="data:image/svg+xml,&lt;svg id=%22x%22 onload=%22PWN%22/&gt;#x"/>'
    '<rect width="40" height="40" fill="teal"/></svg>'
)

ANSWERS = {
    "update_rules": f"""
from IPython.display import HTML, SVG, display
display(SVG({_SVG!r}))
display(HTML({_SVG!r}))
""",
    "loss_answer": "A figure:\n\n" + _SVG,
}


def TRANSFORM(notebook):
    notebook.cells[3].outputs = [
        new_output("display_data", data={"image/svg+xml": _SVG, "text/plain": "svg"}),
        new_output("display_data", data={"text/html": _SVG}),
    ]
    return notebook
