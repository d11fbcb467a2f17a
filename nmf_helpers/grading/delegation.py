"""Does the student's implementation call a library's NMF? Read from the notebook's code.

The assignment is to implement the multiplicative updates; calling scikit-learn's
NMF (or the course's reference solution) *inside* ``non_negative``, ``update_h``
or ``update_z`` costs the points of the implementation tests. Comparing with
scikit-learn *outside* them is part of the exercise, so only code reachable from
those functions counts.

The verdict is read from the code as the kernel ran it, by the grader, outside
the kernel (nothing the notebook does at run time can change it):

- ``delegates``: a reachable function names an NMF solver of a library or the
  reference package: the checks of that function fail, with the reason;
- ``undecided``: code that could hide such a call from a reader — ``exec``,
  ``eval``, ``__import__``, ``importlib``, ``getattr`` with a computed name,
  ``globals()``, IPython magics that run code, imports of modules the course
  does not know, a target function bound other than by ``def`` — flags the
  notebook for the instructor with the reason; the points stay as the checks
  gave them.
"""

import ast
import re
from dataclasses import dataclass, field

# Names that reach an NMF solver: scikit-learn's public and private ones, the course's reference.
LIBRARY_NMF = frozenset(
    {
        "NMF", "MiniBatchNMF", "non_negative_factorization", "_nmf", "_fit_multiplicative_update",
        "_fit_coordinate_descent", "_multiplicative_update_w", "_multiplicative_update_h",
        "_update_cdnmf_fast", "non_negative_masked", "non_negative_masked_mu", "nimfa",
    }
)  # fmt: skip
REFERENCE_PACKAGES = frozenset({"nmf_helpers", "nmf_kit", "nmf_course"})
# Modules a student's functions may use without a second look.
KNOWN_MODULES = frozenset(
    {
        "numpy", "np", "scipy", "pandas", "pd", "math", "cmath", "statistics", "random", "itertools",
        "functools", "collections", "operator", "time", "warnings", "typing", "dataclasses", "numbers",
        "matplotlib", "sklearn", "movielens", "copy", "decimal", "fractions", "heapq", "bisect", "plt",
    }
)  # fmt: skip
# Builtins, attributes and modules that run code or look it up by a computed name.
DYNAMIC_BUILTINS = frozenset(
    {"exec", "eval", "compile", "__import__", "globals", "locals", "vars", "setattr", "delattr",
     "__builtins__", "get_ipython", "breakpoint"}
)  # fmt: skip
DYNAMIC_ATTRIBUTES = frozenset(
    {"__code__", "__globals__", "__dict__", "__getattribute__", "__builtins__", "modules", "run_cell",
     "run_line_magic", "run_cell_magic", "system", "popen", "FunctionType", "import_module", "exec_module"}
)  # fmt: skip
DYNAMIC_MODULES = frozenset(
    {"importlib", "ctypes", "subprocess", "pickle", "marshal", "dill", "cloudpickle", "runpy", "types",
     "codecs", "base64", "zlib", "imp", "builtins", "inspect", "pkgutil", "zipimport"}
)  # fmt: skip
# Names IPython gives every notebook.
IPYTHON_NAMES = frozenset({"display", "get_ipython", "In", "Out", "exit", "quit", "_", "__", "___"})
# IPython magics that only display or configure.
HARMLESS_MAGICS = frozenset({"matplotlib", "precision", "pinfo", "pinfo2"})


@dataclass
class Analysis:
    """What the notebook's code says about the target functions."""

    delegates: dict = field(default_factory=dict)  # function -> reason
    undecided: list = field(default_factory=list)  # reasons, for the instructor

    def reason(self, functions):
        """The first delegation reason among ``functions``, or ''."""
        return next((self.delegates[f] for f in functions if f in self.delegates), "")


def _python(cell):
    """A cell as the Python IPython runs (magics and shell escapes made calls), or None."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(cell))
    except (SyntaxError, ValueError):
        return None  # IPython could not run it either


def _harmless_magic(node):
    """``get_ipython().run_line_magic('matplotlib', ...)`` and the like: only display or configure plots."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "run_line_magic"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value in HARMLESS_MAGICS
        and all(isinstance(a, ast.Constant) for a in node.args)
    )


def _module_bindings(statement):
    """(name, node) for every name a module-level statement binds, not looking into function
    or class bodies (whose names are local), with the node that binds it."""
    found = []

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((node.name, node))
            if isinstance(node, ast.ClassDef):  # evaluated where the statement runs
                outside = [*node.bases, *(k.value for k in node.keywords)]
            else:
                outside = [*node.args.defaults, *filter(None, node.args.kw_defaults)]
            for part in [*node.decorator_list, *outside]:
                visit(part)
            return
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.append((node.id, node))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.extend(((a.asname or a.name.split(".")[0]), node) for a in node.names)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            found.append((node.name, node))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(statement)
    return found


class _Module:
    """The notebook's top-level bindings: imports, defs and other assignments."""

    def __init__(self, targets):
        self.targets = set(targets)
        self.imports = {}  # local name -> dotted origin ("sklearn.decomposition.NMF")
        self.defs = {}  # function name -> FunctionDef (the last definition)
        self.rebound = {}  # name -> how it was last bound other than by an unconditional top-level def
        self.tainted = {}  # name -> why: bound at module level to something that reaches a library NMF
        self.bound = set()  # every name a cell binds where a reader sees it
        self.undecided = []

    def read(self, tree, cell_number):
        for node in tree.body:
            self._statement(node, cell_number)
            for name, binder in _module_bindings(node):
                self.bound.add(name)
                plain_def = binder is node and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                if not plain_def:
                    how = (
                        "a def inside a block"
                        if isinstance(binder, ast.FunctionDef)
                        else type(binder).__name__
                    )
                    self.rebound[name] = (
                        f"cell {cell_number} binds it through {how}: {ast.unparse(node)[:80]!r}"
                    )
                else:
                    self.rebound.pop(name, None)
        defs = [d for d in ast.walk(tree) if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef))]
        inside = {id(n) for d in defs for n in ast.walk(d) if n is not d}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                for name in sorted(set(node.names)):
                    self.rebound[name] = (
                        f"cell {cell_number}: a function declares `global {name}` and can rebind it"
                    )
            if id(node) in inside or _harmless_magic(node):
                continue
            what = _dynamic(node)
            if what and not any(_harmless_magic(call) for call in ast.walk(tree) if node in ast.walk(call)):
                self.undecided.append(f"cell {cell_number} uses {what}")

    def _statement(self, node, cell_number):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                origin = alias.name if isinstance(node, ast.Import) else f"{node.module or ''}.{alias.name}"
                if alias.name == "*":
                    self.undecided.append(f"cell {cell_number} imports * from {node.module}")
                    continue
                local = alias.asname or alias.name.split(".")[0]
                # `import a.b` binds `a`; `import a.b as c` and `from a import b` bind the full name
                self.imports[local] = origin if alias.asname or isinstance(node, ast.ImportFrom) else local
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.defs[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            reaches = _reaches_library(node.value, self) if node.value is not None else ""
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and reaches:
                        self.tainted[name.id] = f"{name.id} is bound to {reaches} (cell {cell_number})"
        elif isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try, ast.TryStar, ast.Match)):
            for child in ast.walk(node):
                if child is not node and isinstance(child, ast.stmt) and not _inside_def(child, node):
                    self._statement(child, cell_number)


def _inside_def(child, root):
    """Whether ``child`` sits in the body of a function or class defined under ``root``."""
    for node in ast.walk(root):
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node is not child
            and node is not root
            and any(n is child for n in ast.walk(node))
        ):
            return True
    return False


def _dynamic(node):
    """A short description when ``node`` runs or looks up code by a computed name."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Call)
        and getattr(node.func.value.func, "id", None) == "get_ipython"
    ):
        first = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else "?"
        if node.func.attr in ("system", "getoutput"):
            return f"a shell command ({str(first)[:40]})"
        return f"the IPython magic %{first}"
    if isinstance(node, ast.Name) and node.id in DYNAMIC_BUILTINS:
        return f"{node.id}"
    if isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRIBUTES:
        return f".{node.attr}"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and (len(node.args) < 2 or not isinstance(node.args[1], ast.Constant))
    ):
        return "getattr with a computed name"
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        hidden = [n for n in names if n.split(".")[0] in DYNAMIC_MODULES]
        if hidden:
            return f"the module {hidden[0]}"
    return None


def _origin(node, module, function_def=None):
    """The dotted name an expression refers to through the notebook's imports, or '' when its
    root is not an imported name (a local variable called NMF is just that)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in module.imports:
        return ""
    if function_def is not None and _is_local(node.id, function_def):
        return ""
    return ".".join([module.imports[node.id], *reversed(parts)])


def _reaches_library(expression, module):
    """The library NMF (or reference) an expression names, through the notebook's imports, or ''."""
    for node in ast.walk(expression):
        if isinstance(node, (ast.Name, ast.Attribute)):
            origin = _origin(node, module)
            if set(origin.split(".")) & (LIBRARY_NMF | REFERENCE_PACKAGES):
                return origin
            if isinstance(node, ast.Name) and node.id in module.tainted:
                return module.tainted[node.id]
    return ""


def _reachable(targets, module):
    """Target functions and the notebook functions they (transitively) name."""
    seen, todo = [], [t for t in targets if t in module.defs]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        for node in ast.walk(module.defs[name]):
            if isinstance(node, ast.Name) and node.id in module.defs and node.id not in seen:
                todo.append(node.id)
    return seen


def _named_functions(function, module):
    """The notebook functions that ``function``'s body names as globals."""
    node_def = module.defs[function]
    return sorted(
        {
            node.id
            for node in ast.walk(node_def)
            if isinstance(node, ast.Name) and node.id in module.defs and not _is_local(node.id, node_def)
        }
    )


def _delegation(function, module):
    """Why ``function``'s own body reaches a library NMF, or ''."""
    node_def = module.defs[function]
    for node in ast.walk(node_def):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            for name in filter(None, names):
                parts = set(name.split("."))
                if parts & LIBRARY_NMF or parts & REFERENCE_PACKAGES:
                    return f"{function} imports {name}"
        if isinstance(node, ast.Name) and node.id in module.tainted and not _is_local(node.id, node_def):
            return f"{function} uses {module.tainted[node.id]}"
        if isinstance(node, (ast.Name, ast.Attribute)):
            origin = _origin(node, module, node_def)
            parts = set(origin.split("."))
            if parts & LIBRARY_NMF or parts & REFERENCE_PACKAGES:
                return f"{function} uses {origin}"
    for decorator in node_def.decorator_list:
        origin = _origin(decorator.func if isinstance(decorator, ast.Call) else decorator, module)
        if set(origin.split(".")) & (LIBRARY_NMF | REFERENCE_PACKAGES):
            return f"{function} is decorated with {origin}"
    return ""


def _is_local(name, function_def):
    """Whether ``name`` is bound inside the function (a parameter, an assignment, an import,
    a nested def): then it is not the global of that name."""
    arguments = function_def.args
    params = [a.arg for a in arguments.args + arguments.kwonlyargs + arguments.posonlyargs]
    params += [a.arg for a in (arguments.vararg, arguments.kwarg) if a]
    if name in params:
        return True
    for node in ast.walk(function_def):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and name in {
            a.asname or a.name.split(".")[0] for a in node.names
        }:
            return True
        nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        if node is not function_def and isinstance(node, nested) and node.name == name:
            return True
    return False


def _unseen_globals(function, module):
    """Global names ``function`` uses that no cell binds where a reader sees it (bound by a
    magic, an exec'd string, a module written from the notebook, ...)."""
    import builtins

    node_def = module.defs[function]
    known = module.bound | set(dir(builtins)) | IPYTHON_NAMES
    loaded = {n.id for n in ast.walk(node_def) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return sorted(name for name in loaded - known if not _is_local(name, node_def))


def _doubts(function, module):
    """What in ``function``'s body a reader cannot follow."""
    doubts = []
    node_def = module.defs[function]
    for node in ast.walk(node_def):
        what = _dynamic(node)
        if what:
            doubts.append(f"{function} uses {what}")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = alias.name if isinstance(node, ast.Import) else (node.module or "")
                root = name.split(".")[0]
                if root not in KNOWN_MODULES and root not in REFERENCE_PACKAGES:  # those are certain
                    doubts.append(f"{function} imports {name}")
        if isinstance(node, ast.Name) and node.id in module.imports:
            root = module.imports[node.id].split(".")[0]
            if root and root not in KNOWN_MODULES and root not in REFERENCE_PACKAGES:
                doubts.append(
                    f"{function} uses {module.imports[node.id]} (a module the course does not know)"
                )
    if node_def.decorator_list:
        doubts.append(f"{function} is decorated")
    return doubts


def analyse(cells, targets=("non_negative", "update_h", "update_z")):
    """Read the notebook's code ``cells`` (as executed, in order) for library NMF calls.

    Parameters
    ----------
    cells : list of str
        The code cells the kernel ran, up to the point of the check.
    targets : tuple of str, default=("non_negative", "update_h", "update_z")
        The functions the student implements.

    Returns
    -------
    analysis : Analysis
        ``delegates[target]`` when a target's reachable code names a library NMF (or the
        reference package); ``undecided`` reasons when it cannot be told from the code.
    """
    module, undecided = _Module(targets), []
    for number, cell in enumerate(cells, 1):
        tree = _python(cell)
        if tree is not None:
            try:
                module.read(tree, number)
            except Exception as exc:  # noqa: BLE001 - a construct this reader does not know: you decide
                undecided.append(f"cell {number} could not be read ({type(exc).__name__}: {exc})")
    undecided += module.undecided
    analysis = Analysis()
    for target in targets:
        if target in module.rebound:  # its implementation cannot be read: it fails, and you are told why
            reason = f"{target} is not defined by a plain def in its answer cell ({module.rebound[target]})"
            analysis.delegates[target] = reason
            undecided.append(reason)
            continue
        for function in _reachable([target], module):
            unseen = _unseen_globals(function, module)
            # A function that is also bound some other way (a def under `if`, an assignment) may
            # not run the body a reader sees.
            unreadable = [
                f"{name}, which is not defined by a plain def ({module.rebound[name]})"
                for name in _named_functions(function, module)
                if name in module.rebound
            ]
            reason = (
                _delegation(function, module)
                or (f"{function} calls {unreadable[0]}" if unreadable else "")
                or (
                    f"{function} uses {', '.join(unseen)}, which no cell of the notebook defines"
                    " where it can be read"
                    if unseen
                    else ""
                )
            )
            if reason and target not in analysis.delegates:
                analysis.delegates[target] = (
                    reason if function == target else f"{target} calls {function}; {reason}"
                )
            undecided += _doubts(function, module)
    analysis.undecided = list(dict.fromkeys(re.sub(r"\s+", " ", u) for u in undecided))
    return analysis
