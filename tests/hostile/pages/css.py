"""CSS that loads or executes, or lays a box over the page: <style> with @import and url(),
style attributes with url(), image-set(), expression(), behaviour, position:fixed overlays and
escapes that hide a keyword, in markdown and outputs."""

from nbformat.v4 import new_output

_CSS = (
    "<style>@import url(CANARY/import.css); body { background: url(CANARY/style-bg); }</style>"
    '<div style="background-image: url(CANARY/attr-bg)">bg</div>'
    "<div style=\"background: image-set('CANARY/set' 1x)\">set</div>"
    '<div style="width: expression(PWN); behavior: url(CANARY/x.htc)">ie</div>'
    '<div style="b\\61 ckground: u\\72 l(CANARY/escaped)">escaped</div>'
    '<div style="color: red; background-color: rgb(1, 2, 3)">kept</div>'
    '<div style="position: fixed; top: 0; left: 0; width: 100%; height: 100%; z-index: 9999">over</div>'
    '<span style="list-style: url(CANARY/list); cursor: url(CANARY/cursor), auto">more</span>'
    "<svg><style>@import url(CANARY/svg.css);</style></svg>"
)

ANSWERS = {
    "update_rules": f"""
from IPython.display import HTML, display
display(HTML({_CSS!r}))
""",
    "loss_answer": "Styled:\n\n" + _CSS,
}


def TRANSFORM(notebook):
    notebook.cells[3].outputs = [new_output("display_data", data={"text/html": _CSS})]
    return notebook
