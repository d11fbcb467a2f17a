"""Elements that act without a script tag: <base> (every relative URL elsewhere), <meta
http-equiv=refresh> (navigates to a script URL), <form action> with a button, <iframe srcdoc>,
<iframe src>, <object>, <embed>, <link rel=import/stylesheet/prefetch>, <portal>, and
<a ping>/<img srcset> that make requests, in markdown and outputs."""

from nbformat.v4 import new_output

_ELEMENTS = (
    '<base href="CANARY/base/"><meta http-equiv="refresh" content="0; url=javascript:PWN">'
    '<meta http-equiv="refresh" content="1; url=CANARY/refresh">'
    '<form action="CANARY/form" method="post"><button formaction="javascript:PWN">Full credit</button>'
    '<input type="submit" value="Save"></form>'
    '<iframe srcdoc="&lt;script&gt;PWN&lt;/script&gt;"></iframe><iframe src="CANARY/frame"></iframe>'
    '<object data="CANARY/object"></object><embed src="CANARY/embed">'
    '<link rel="stylesheet" href="CANARY/link.css"><link rel="prefetch" href="CANARY/prefetch">'
    '<a ping="CANARY/ping" href="https://example.org">ping</a><img srcset="CANARY/srcset 1x">'
    '<img src="CANARY/remote.png"><video src="CANARY/video" autoplay></video><audio src="CANARY/a">'
    '<portal src="CANARY/portal"></portal><img src="relative.png">'
)

ANSWERS = {
    "update_rules": f"""
from IPython.display import HTML, display
display(HTML({_ELEMENTS!r}))
""",
    "loss_answer": "Elements:\n\n" + _ELEMENTS,
}


def TRANSFORM(notebook):
    notebook.cells[3].outputs = [new_output("display_data", data={"text/html": _ELEMENTS})]
    return notebook
