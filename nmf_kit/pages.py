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

**Hand-ins are data, never markup.** Every piece of a page that a hand-in controls is held
to an allow-list *after* it is rendered (:func:`clean_fragment`, Ammonia through ``nh3``):
markdown once it is HTML and its formulas MathML, each output once the template has written
it (attributes taken from output metadata included), raw cells, prompts. What is left can
show text, tables, figures (PNG, JPEG, GIF, SVG, all as ``data:`` images: an SVG in an
``<img>`` runs no script and loads nothing), MathML formulas and highlighted code; links
only to ``http``, ``https``, ``mailto`` and in-page anchors. Each page also carries its own
Content-Security-Policy (:func:`csp_for_file`, :func:`csp_for_formgrader`), so that what a
future sanitiser might miss still runs no script (see the README's threat model).
"""

import base64
import copy
import html
import re
import secrets
from pathlib import Path

import nh3
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
    # cleaned here, once rendered: a link, an attribute or a MathML element exists only now
    return clean_fragment(MarkdownWithMath(renderer=renderer).render(source))


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

    def default_filters(self):
        """nbconvert's filters and the kit's (:data:`PAGE_FILTERS`)."""
        yield from super().default_filters()
        yield from PAGE_FILTERS.items()

    def from_notebook_node(self, nb, resources=None, **kw):
        nb = copy.deepcopy(nb)
        # widget state is a hand-in's data; these pages run no widget code, so it is not written
        nb.metadata.pop("widgets", None)
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


# ----------------------------------------------------------------------------- what a hand-in may show
# Decision: the pages are cleaned piece by piece, not whole. The template's own parts (its CSS,
# the formgrader's scripts and score inputs, nbgrader's feedback headings) are trusted and stay;
# every piece a hand-in controls is cleaned after it is rendered, with one allow-list, before
# the template puts it in place. Cleaning whole pages would have to admit <style>, <script>,
# <input> and <button> for the template, and so for the hand-in too.
HTML_TAGS = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
        "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt",
        "ruby", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
# MathML that draws formulas; not maction (actions), annotation-xml (holds HTML), nor any href.
MATHML_TAGS = frozenset(
    {
        "math", "annotation", "menclose", "merror", "mfrac", "mi", "mmultiscripts", "mn", "mo", "mover",
        "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle", "msub",
        "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder", "munderover", "none", "semantics",
    }
)  # fmt: skip
_MATHML_ATTRIBUTES = frozenset(
    {
        "accent", "accentunder", "columnalign", "columnlines", "columnspacing", "columnspan", "depth",
        "display", "displaystyle", "encoding", "fence", "form", "frame", "height", "largeop", "linethickness",
        "lspace", "mathbackground", "mathcolor", "mathsize", "mathvariant", "maxsize", "minsize",
        "movablelimits", "notation", "rowalign", "rowlines", "rowspacing", "rowspan", "rspace", "scriptlevel",
        "separator", "stretchy", "symmetric", "voffset", "width", "xmlns",
    }
)  # fmt: skip
ATTRIBUTES = {
    "*": {"class", "title", "lang", "dir", "align", "style"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "valign"},
    "th": {"colspan", "rowspan", "valign", "scope"},
    "table": {"border"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
    "li": {"value"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
    **{tag: set(_MATHML_ATTRIBUTES) for tag in MATHML_TAGS},
}
#: CSS properties a hand-in's ``style`` may set (none can load anything or place a box over the page).
STYLE_PROPERTIES = frozenset(
    {
        "background-color", "border", "border-collapse", "border-spacing", "color", "font-family",
        "font-size", "font-style", "font-weight", "height", "line-height", "margin", "margin-bottom",
        "margin-left", "margin-right", "margin-top", "max-width", "padding", "padding-bottom",
        "padding-left", "padding-right", "padding-top", "text-align", "text-decoration", "vertical-align",
        "white-space", "width",
    }
)  # fmt: skip
#: ids and anchor names a hand-in gives get this prefix (as GitHub does): they can neither stand in
#: for the formgrader's own elements (it finds its score inputs by id) nor shadow a global.
ID_PREFIX = "user-content-"
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|svg\+xml);base64,[A-Za-z0-9+/=]*\Z", re.I)
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.I)
_NUMBER = re.compile(r"\d{1,5}(?:\.\d+)?(?:px|%|em)?\Z")
_ID = re.compile(r"[\w.:-]{1,200}\Z")
# class names: template and output classes by prefix, Pygments' short token names; no others
# (Bootstrap's and the formgrader's hooks such as btn, navbar-fixed-top, full-credit are not).
_CLASS = re.compile(
    r"(?:[a-z]{1,2}[0-9]?|cpf|ges|err|hll|esc|cell|prompt|rendered|highlight|dataframe|unconfined"
    r"|(?:jp|lm|cm|ansi|hl|nmf|celltag|output|input|inner|text|code|border|anchor|rendered|mtk)[-_][\w-]*)\Z"
)
_CSS_CALL = re.compile(r"rgba?\([\d\s.,%]*\)", re.I)
_CONTROLS = re.compile(r"[\x00-\x20\x7f]+")


def _safe_url(tag, name, value):
    url = _CONTROLS.sub("", html.unescape(value))
    if name == "src":  # images only, and only what is inside the page: a hand-in makes no request
        return value if tag == "img" and _DATA_IMAGE.match(url) else None
    if url.startswith("#"):
        return "#" + _prefixed(url[1:])
    scheme = _SCHEME.match(url)
    if tag == "a" and scheme and scheme.group(1).lower() in ("http", "https", "mailto"):
        return value
    return None  # javascript:, vbscript:, data:, relative paths into the Jupyter server, ...


def _prefixed(value):
    return value if value.startswith(ID_PREFIX) else ID_PREFIX + value


def _attribute_filter(tag, name, value):
    """What an allowed attribute keeps of its value (None: the attribute goes)."""
    if name in ("href", "src"):
        return _safe_url(tag, name, value)
    if name in ("id", "name"):
        return _prefixed(value) if _ID.match(value) else None
    if name == "class":
        return " ".join(c for c in value.split() if _CLASS.match(c)) or None
    if name == "style":
        rest = _CSS_CALL.sub("", value).lower()
        return None if any(s in rest for s in ("(", "\\", "url", "expression", "@", "/*", "&")) else value
    if name in ("width", "height") and tag in ("img", "td", "th", "table", "col"):
        return value if _NUMBER.match(value.strip()) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(HTML_TAGS | MATHML_TAGS),
    clean_content_tags={"script", "style", "template", "noscript", "xmp", "iframe", "object", "embed"},
    attributes=ATTRIBUTES,
    attribute_filter=_attribute_filter,
    url_schemes={"http", "https", "mailto", "data"},  # data: then narrowed to images on <img>
    filter_style_properties=set(STYLE_PROPERTIES),
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


def clean_fragment(fragment):
    """A piece of a page that a hand-in controls, held to the kit's allow-list.

    Kept: text, tables, lists, headings, code highlighting (``class``), images as ``data:``
    PNG, JPEG, GIF or SVG on ``<img>``, MathML formulas, links to ``http``, ``https``,
    ``mailto`` and in-page anchors. Dropped: scripts, styles, frames, forms, objects,
    ``<base>``, ``<meta>``, SVG markup, MathML actions and links, event handlers, any other
    URL (``javascript:``, ``vbscript:``, ``data:text/html``, paths into the server), CSS
    that can load or compute anything. The template's jinja filter ``nmf_clean``.

    Examples
    --------
    >>> clean_fragment('<img src="x" onerror="alert(1)"><b>bold</b>')
    '<img><b>bold</b>'
    >>> clean_fragment('<a href="javascript:alert(1)">x</a>')
    '<a rel="noopener noreferrer nofollow">x</a>'
    >>> clean_fragment('<a href="#sec">y</a>')
    '<a href="#user-content-sec" rel="noopener noreferrer nofollow">y</a>'
    """
    if fragment is None:
        return ""
    return _CLEANER.clean(str(fragment))


# ----------------------------------------------------------------------------- the pages' own policy
#: Pages opened from disk (feedback, exports) run no script at all and load nothing but what
#: they hold: a formula or a figure needs none, and no hand-in may make a request. (Fonts may
#: come from beside the file: the feedback's inlined Bootstrap CSS names its glyph font there;
#: a hand-in can declare no font, since no <style> and no @font-face of its own stay.)
CSP_FILE = (
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data: file:; "
    "media-src 'none'; object-src 'none'; frame-src 'none'; connect-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def csp_for_file(_resources=None):
    """The Content-Security-Policy of a page opened from disk (``<meta>``; jinja filter ``nmf_csp_file``)."""
    return CSP_FILE


def csp_nonce(resources):
    """A fresh nonce for this page's own scripts (kept in ``resources``; filter ``nmf_csp_nonce``)."""
    return resources.setdefault("nmf_csp_nonce", secrets.token_urlsafe(18))


def csp_for_formgrader(resources):
    """The formgrader's submission page: scripts only with this page's nonce (and what they load).

    The formgrader's own scripts, from the Jupyter server, carry the nonce; so do the page's
    few inline set-up scripts. A script written by a hand-in cannot know it, so even a
    sanitiser gap runs nothing: no inline script, no event handler, no ``javascript:`` URL,
    no script from the hand-in's files under ``/files/`` (which ``'self'`` would allow).
    Jinja filter ``nmf_csp_formgrader``.
    """
    nonce = csp_nonce(resources)
    return (
        f"default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "frame-src 'none'; base-uri 'none'; form-action 'none'"
    )


def text_as_data_uri(text, mimetype="image/svg+xml"):
    """``text`` as a base64 ``data:`` URI (an SVG output becomes an ``<img>``; filter ``nmf_data_uri``)."""
    encoded = base64.b64encode(str(text).encode("utf-8")).decode("ascii")
    return f"data:{mimetype};base64,{encoded}"


#: The jinja filters the kit's templates use (``nbgrader_config.py`` names them for nbgrader's
#: exporters; :class:`OfflineHTMLExporter` has them anyway).
PAGE_FILTERS = {
    "nmf_clean": clean_fragment,
    "nmf_csp_file": csp_for_file,
    "nmf_csp_nonce": csp_nonce,
    "nmf_csp_formgrader": csp_for_formgrader,
    "nmf_data_uri": text_as_data_uri,
}


def filters_config():
    """``HTMLExporter.filters`` for ``nbgrader_config.py``: dotted names of the kit's filters."""
    names = {"markdown2html": "nmf_kit.pages.markdown2html"}
    names.update({name: f"nmf_kit.pages.{function.__name__}" for name, function in PAGE_FILTERS.items()})
    return names
