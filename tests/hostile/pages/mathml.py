"""MathML that links or acts: href on any MathML element (MathML Core lets math carry links),
maction, annotation-xml holding HTML, xlink:href, and the same through LaTeX that becomes
MathML (\\href, \\url-like text) in markdown and LaTeX outputs."""

from nbformat.v4 import new_output

_MATHML = (
    '<math href="javascript:PWN"><mi href="javascript:PWN">x</mi>'
    '<maction actiontype="statusline"><mi>a</mi><mtext>javascript:PWN</mtext></maction>'
    '<semantics><mi>y</mi><annotation-xml encoding="text/html"><img src=x onerror=PWN>'
    "<script>PWN</script></annotation-xml></semantics>"
    '<mrow xlink:href="javascript:PWN"><mn>1</mn></mrow><mtext><a href="javascript:PWN">t</a></mtext></math>'
)

ANSWERS = {
    "update_rules": f"""
from IPython.display import HTML, Latex, display
display(HTML({_MATHML!r}))
display(Latex(r"$$\\href{{javascript:PWN}}{{\\frac{{1}}{{2}}}}$$"))
""",
    "loss_answer": _MATHML + r"\n\n$\href{javascript:PWN}{\sum_i x_i}$ and $x^2$",
}


def TRANSFORM(notebook):
    notebook.cells[3].outputs = [
        new_output("display_data", data={"text/html": _MATHML}),
        new_output("display_data", data={"text/latex": r"$\href{vbscript:x}{y}$"}),
    ]
    return notebook
