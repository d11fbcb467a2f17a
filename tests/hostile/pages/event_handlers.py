"""Event-handler attributes reached through metadata a template writes into an attribute: an image
output's width, height and alt (output metadata), the cell's alt text, tags and id (cell
metadata), the notebook's title, and plain handlers in HTML outputs and markdown."""

from nbformat.v4 import new_output

_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
_ATTR = '1 onerror="PWN" onload="PWN" x='
_QUOTE = '" onerror="PWN" x="'

ANSWERS = {
    "update_rules": f"""
from IPython.display import HTML, display
png = {_PNG!r}
display({{"image/png": png}}, raw=True,
        metadata={{"image/png": {{"width": {_ATTR!r}, "height": {_ATTR!r}, "alt": {_QUOTE!r}}}}})
display(HTML('<img src="x" onerror="PWN"><div onmouseover="PWN" style="height:50px">hover</div>'))
display(HTML('<details open ontoggle="PWN"><summary>s</summary></details><body onload="PWN">'))
""",
    "loss_answer": 'An answer <img src="x" onerror="PWN"> <b onclick="PWN">click</b>',
}


def TRANSFORM(notebook):
    notebook.metadata["title"] = '</title><script>PWN</script><title x="'
    cell = notebook.cells[3]
    cell.metadata["alt"] = _QUOTE
    cell.metadata["tags"] = ['x" onmouseover="PWN', "</div><img src=x onerror=PWN>"]
    # a stored output, as handed in: reaches the kit's export of the hand-in as it is
    cell.outputs = [
        new_output(
            "display_data",
            data={"image/png": _PNG, "text/plain": "<img>"},
            metadata={"image/png": {"width": _ATTR, "height": _ATTR, "alt": _QUOTE, "unconfined": True}},
        ),
        new_output("display_data", data={"text/html": '<img src="x" onerror="PWN">'}),
    ]
    return notebook
