"""Static analysis of the restricted expressions a spec may contain.

``stop_condition`` and processing steps (``filter``/``map``) are small Python-like
expressions. They are never executed here: this module parses them with :mod:`ast`,
checks that only a safe subset is used and finds which response paths they test (the
spec stage infers cursor locations from that). The runtime evaluator lives in ``extract``.

Allowed (the same subset ``restsync.extract.expressions`` evaluates, so ``check`` refuses what
a run would refuse): literals, the names the context provides (:data:`STOP_CONDITION_NAMES`,
:data:`PROCESSING_NAMES`), attribute access and subscripts (no ``_``-prefixed names),
``and``/``or``/``not``, comparisons (incl. ``in``/``is``), arithmetic, ``x if c else y``,
list/tuple/dict literals, calls of :data:`ALLOWED_FUNCTIONS` and the ``.get()`` method.
"""

from __future__ import annotations

import ast
from collections.abc import Collection

MAX_EXPRESSION_LENGTH = 1000
MAX_NODES = 300
MAX_DEPTH = 32

STOP_CONDITION_NAMES: frozenset[str] = frozenset(
    {"response", "headers", "last_record", "page_records", "last_page_size", "config", "page"})
PROCESSING_NAMES: frozenset[str] = frozenset({"record", "config"})

ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    {"len", "int", "str", "float", "bool", "min", "max", "abs", "any", "all"})
ALLOWED_METHODS: frozenset[str] = frozenset({"get"})

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
    ast.Is, ast.IsNot, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.FloorDiv,
    ast.Pow, ast.IfExp, ast.Name, ast.Load, ast.Attribute, ast.Subscript, ast.Slice, ast.Constant,
    ast.List, ast.Tuple, ast.Dict, ast.Call,
)

_NODE_WORDS: dict[type[ast.AST], str] = {
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "an assignment (:=)",
    ast.JoinedStr: "an f-string",
    ast.Starred: "* unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Set: "a set literal",
}


def _parse(expr: str) -> tuple[ast.Expression | None, str | None]:
    if not isinstance(expr, str):
        return None, f"an expression must be a string, got {type(expr).__name__}"
    if not expr.strip():
        return None, "the expression is empty"
    if len(expr) > MAX_EXPRESSION_LENGTH:
        return None, f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters"
    try:
        return ast.parse(expr.strip(), mode="eval"), None
    except SyntaxError as exc:
        return None, f"not a valid expression: {exc.msg}"
    except (ValueError, MemoryError, RecursionError) as exc:
        return None, f"not a valid expression: {exc}"


def _depth(node: ast.AST) -> int:
    stack = [(node, 1)]
    deepest = 0
    while stack and deepest <= MAX_DEPTH:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(current))
    return deepest


def validate_expression(expr: str, names: Collection[str] | None = None) -> list[str]:
    """Check that ``expr`` is a syntactically valid restricted expression.

    Args:
        expr: The expression text, e.g. ``"not response.get('nextPageToken')"``.
        names: The names the expression may use (e.g. :data:`STOP_CONDITION_NAMES`);
            ``None`` accepts any name not starting with ``_``.

    Returns:
        Problems found (empty when the expression is acceptable).
    """
    tree, error = _parse(expr)
    if tree is None:
        return [error or "not a valid expression"]
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        return [f"the expression is too complex ({len(nodes)} nodes, at most {MAX_NODES})"]
    if _depth(tree) > MAX_DEPTH:
        return [f"the expression is nested deeper than {MAX_DEPTH} levels"]
    problems: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            problems.append(f"name '{node.id}' is not allowed (names may not start with '_')")
        elif (isinstance(node, ast.Name) and names is not None and node.id not in names
              and node.id not in ALLOWED_FUNCTIONS):
            problems.append(f"unknown name '{node.id}' (available: {', '.join(sorted(names))})")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            problems.append(f"attribute '{node.attr}' is not allowed (no '_'-prefixed attributes)")
        elif isinstance(node, ast.Call):
            problems.extend(_check_call(node))
        elif isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            problems.append("bytes literals are not allowed")
        elif not isinstance(node, _ALLOWED_NODES):
            word = _NODE_WORDS.get(type(node), f"'{type(node).__name__}'")
            problems.append(f"{word} is not allowed in an expression")
    return list(dict.fromkeys(problems))


def _check_call(node: ast.Call) -> list[str]:
    problems: list[str] = []
    if node.keywords:
        problems.append("keyword arguments are not allowed in calls")
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        problems.append("starred arguments are not allowed")
    func = node.func
    if isinstance(func, ast.Name):
        if func.id not in ALLOWED_FUNCTIONS:
            problems.append(
                f"call of '{func.id}' is not allowed; allowed functions: "
                + ", ".join(sorted(ALLOWED_FUNCTIONS))
            )
    elif isinstance(func, ast.Attribute):
        if func.attr not in ALLOWED_METHODS and not func.attr.startswith("_"):
            problems.append(
                f"method '.{func.attr}()' is not allowed; allowed methods: "
                + ", ".join(sorted(ALLOWED_METHODS))
            )
    else:
        problems.append("only named functions and methods may be called")
    return problems


def _chain(node: ast.AST) -> tuple[str, ...] | None:
    """The access path of ``node`` when it is a chain rooted at a name, else None."""
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        base = _chain(node.value)
        return None if base is None else (*base, node.attr)
    if isinstance(node, ast.Subscript):
        base = _chain(node.value)
        key = node.slice
        if base is not None and isinstance(key, ast.Constant) and isinstance(key.value, str | int):
            return (*base, str(key.value))
        return None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get" and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        base = _chain(node.func.value)
        return None if base is None else (*base, node.args[0].value)
    return None


def tested_paths(expr: str) -> list[tuple[str, ...]]:
    """List the access paths an expression reads, longest chains only, in order of appearance.

    ``not response.get('nextPageToken', {})`` gives ``[("response", "nextPageToken")]``;
    ``not headers.link.next.url`` gives ``[("headers", "link", "next", "url")]``. Function
    names (``len``) are not paths.

    Args:
        expr: The expression text.

    Returns:
        Unique paths (each a tuple of names/keys from the root name); ``[]`` when the
        expression does not parse.
    """
    tree, _ = _parse(expr)
    if tree is None:
        return []
    found: list[tuple[str, ...]] = []

    def visit(node: ast.AST) -> None:
        chain = _chain(node)
        if chain is not None:
            found.append(chain)
            if isinstance(node, ast.Call):  # defaults of .get(key, default) may hold paths
                for arg in node.args[1:]:
                    visit(arg)
            return
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                visit(node.func)
            for arg in node.args:
                visit(arg)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return list(dict.fromkeys(found))
