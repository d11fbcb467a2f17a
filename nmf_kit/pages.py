"""HTML pages that show their formulas with no network.

Stock nbconvert and nbgrader pages load MathJax from a CDN: offline (an exam
room, CI, an air-gapped grading machine) formulas stay raw LaTeX, and the
formgrader's set-up stops at ``MathJax is not defined``. The kit renders the
formulas when it writes the page, as MathML, which every current browser
draws natively:

- **Files** (feedback, hand-in and lecture exports) are opened from disk, on
  students' machines too, often as a single file downloaded from an LMS, maybe
  in a previewer that runs no scripts. With MathML they need no script, no copy
  of MathJax beside them and no network (:class:`OfflineHTMLExporter`; a
  formula that cannot be converted stays as its LaTeX source).
- **The formgrader** renders notebooks with nbgrader's own exporter:
  :func:`markdown2html` is set as its ``markdown2html`` filter, and
  ``templates/formgrade`` loads MathJax, which formgrade.js calls, from the
  Jupyter server itself (the ``jupyter-server-mathjax`` extension).

``nbgrader_config.py`` names all three: ``GenerateFeedback.exporter_class``,
``HTMLExporter.filters`` and ``HTMLExporter.extra_template_basedirs``.
"""

import copy
import html
from pathlib import Path

from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from traitlets import default

#: The kit's nbconvert templates (``nmf_offline``, and overrides for nbgrader's ``feedback``, ``formgrade``).
TEMPLATES = Path(__file__).resolve().parent / "templates"


def nbgrader_templates():
    """nbgrader's own template folder (the ``feedback`` and ``formgrade`` templates)."""
    import nbgrader

    return Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"


def template_basedirs():
    """Template folders for ``HTMLExporter.extra_template_basedirs``: the kit's, then nbgrader's."""
    return [str(TEMPLATES), str(nbgrader_templates())]


def tex_to_mathml(tex, display=False):
    """MathML for the LaTeX formula ``tex`` (without ``$``), or None when it cannot be converted.

    Examples
    --------
    >>> tex_to_mathml("x^2").startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"')
    True
    >>> tex_to_mathml(r"\\frac{1}{") is None
    True
    """
    from latex2mathml.converter import convert

    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - the parser raises many kinds; the source is shown instead
        return None


class _MathMLRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer, with formulas as MathML instead of ``$...$`` for MathJax."""

    def _math(self, tex, display, fallback):
        mathml = tex_to_mathml(tex, display)
        if mathml is None:  # the LaTeX as written, marked for the reader
            source = self.escape_html(fallback)
            return f'<code class="nmf-unrendered-math" title="formula not rendered">{source}</code>'
        return mathml

    def block_math(self, body):
        return self._math(body, True, f"$${body}$$")

    def inline_math(self, body):
        return self._math(body, False, f"${body}$")

    def latex_environment(self, name, body):
        source = f"\\begin{{{name}}}{body}\\end{{{name}}}"
        return self._math(source, True, source)


def _latex_output_as_html(data):
    """A ``text/html`` MathML rendering of a ``text/latex`` output holding one formula, or None."""
    tex = data.get("text/latex")
    if not isinstance(tex, str) or "text/html" in data:
        return None
    tex = tex.strip()
    for opening, closing, display in (("$$", "$$", True), ("\\[", "\\]", True), ("$", "$", False)):
        if tex.startswith(opening) and tex.endswith(closing) and len(tex) > len(opening) + len(closing):
            return tex_to_mathml(tex[len(opening) : -len(closing)], display)
    return None


def render_markdown(context, source, **options):
    """A Markdown cell's HTML with its formulas as MathML (``options``: IPythonRenderer's)."""
    cell = context.get("cell", {})
    renderer = _MathMLRenderer(
        escape=False,
        attachments=cell.get("attachments", {}),
        path=context.get("resources", {}).get("metadata", {}).get("path", ""),
        **options,
    )
    return MarkdownWithMath(renderer=renderer).render(source)


@pass_context
def markdown2html(context, source):
    """The ``markdown2html`` template filter with MathML formulas, for any HTMLExporter.

    ``nbgrader_config.py`` sets it as ``HTMLExporter.filters["markdown2html"]``, so that
    nbgrader's formgrader pages (a plain HTMLExporter) carry rendered formulas too.
    """
    return render_markdown(context, source)


class OfflineHTMLExporter(HTMLExporter):
    """An HTML exporter whose pages need no network.

    Formulas in Markdown cells (``$...$``, ``$$...$$``, ``\\begin{...}``) and
    single-formula LaTeX outputs become MathML; the default template
    (``nmf_offline``, nbconvert's ``lab`` template) loads no MathJax, no
    require.js and no widget code from a CDN. nbgrader's feedback uses this class
    with its own template (see ``templates/feedback``).
    """

    @default("template_name")
    def _template_name_default(self):
        return "nmf_offline"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return template_basedirs()

    @pass_context
    def markdown2html(self, context, source):
        """Markdown to HTML with MathML formulas (nbconvert's filter of the same name otherwise)."""
        return render_markdown(
            context,
            source,
            embed_images=self.embed_images,
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options,
        )

    def from_notebook_node(self, nb, resources=None, **kw):
        nb = copy.deepcopy(nb)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                rendered = _latex_output_as_html(output.get("data", {}))
                if rendered is not None:
                    output["data"]["text/html"] = rendered
        return super().from_notebook_node(nb, resources, **kw)


def html_exporter(**kwargs):
    """An :class:`OfflineHTMLExporter` (keyword arguments: its traits)."""
    return OfflineHTMLExporter(**kwargs)


def has_raw_math(page):
    """Whether an HTML page still shows a ``$...$`` formula as text (outside code and scripts).

    Examples
    --------
    >>> has_raw_math("<p>the loss $x^2$</p>"), has_raw_math("<pre>echo $HOME$</pre>")
    (True, False)
    """
    import re

    text = re.sub(r"(?is)<(script|style|pre|code)\b.*?</\1>", " ", page)
    text = html.unescape(re.sub(r"(?s)<[^>]+>", " ", text))
    return bool(re.search(r"\$\$?[^$\s][^$]*?\$", text))
