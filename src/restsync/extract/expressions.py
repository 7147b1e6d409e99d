"""A sandboxed evaluator for the small Python-like expressions specs contain.

Used for paginator ``stop_condition`` and for processing-step ``filter`` / ``map``
expressions. It is our own AST walker (not ``eval``, not simpleeval): simpleeval lets any
method of any value be called (``"x".upper()``) and resolves ``response.values`` to the dict
method instead of the body key ``values``, and both matter for the seeds.

What is allowed:
  * names given by the caller (``response``, ``headers``, ``last_record``, ``page_records``,
    ``last_page_size``, ``config`` for stop conditions; ``record`` and ``config`` for
    processing steps), literals, ``and``/``or``/``not``, comparisons (incl. ``in``, ``is``),
    arithmetic, ``x if c else y``, subscripts, list/tuple/dict literals;
  * attribute access on objects reads keys (``response.result.emailClick``); a missing key
    reads as an *empty value* (falsy, length 0, ``== None``), not an error;
  * functions ``len int str float bool min max abs any all`` and the ``.get(key, default)``
    method of objects - nothing else is callable.

What is refused at compile time (``ConfigError`` with the config path): names starting with
``_``, any attribute starting with ``_``, lambdas, comprehensions, f-strings, walrus, starred
arguments, other calls; texts over 1,000 characters, more than 300 nodes or nesting deeper
than 32. At run time powers, repetitions and concatenations that would create huge numbers or
strings are refused (``ResponseError`` naming the resource/page).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from restsync.errors import ConfigError, ResponseError
from restsync.extract.expression_values import EMPTY, ObjectView, _Empty, unwrap, wrap
from restsync.spec.expressions import (
    ALLOWED_FUNCTIONS,
    PROCESSING_NAMES,
    STOP_CONDITION_NAMES,
    validate_expression,
)

__all__ = [
    "EMPTY",
    "PROCESSING_NAMES",
    "STOP_CONDITION_NAMES",
    "CompiledExpression",
    "ObjectView",
    "compile_expression",
]

MAX_SEQUENCE_LENGTH = 100_000
MAX_EXPONENT = 100
MAX_INT_BITS = 4096



class _EvalError(Exception):
    """Raised inside evaluation; turned into ResponseError with the caller's location."""


def _check_size(value: Any) -> Any:
    if isinstance(value, str | bytes | list | tuple) and len(value) > MAX_SEQUENCE_LENGTH:
        raise _EvalError(f"result longer than {MAX_SEQUENCE_LENGTH} items")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise _EvalError("integer result too large")
    return value


def _safe_pow(base: Any, exp: Any) -> Any:
    if isinstance(exp, int | float) and abs(exp) > MAX_EXPONENT:
        raise _EvalError(f"exponent {exp} larger than {MAX_EXPONENT}")
    if isinstance(base, int) and isinstance(exp, int) and exp > 0 \
            and base.bit_length() * exp > MAX_INT_BITS:
        raise _EvalError("power result too large")
    return base**exp


def _safe_mult(a: Any, b: Any) -> Any:
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, str | list | tuple) and isinstance(n, int) \
                and len(seq) * max(n, 0) > MAX_SEQUENCE_LENGTH:
            raise _EvalError(f"repetition longer than {MAX_SEQUENCE_LENGTH} items")
    return a * b


_BIN_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: _safe_mult,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: _safe_pow,
}
_CMP_OPS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: lambda a, b: a is b or (a is None and b is EMPTY) or (a is EMPTY and b is None),
    ast.IsNot: lambda a, b: not (a is b or (a is None and b is EMPTY) or (a is EMPTY and b is None)),
}


def _len(value: Any) -> int:
    return len(value)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": _len, "int": int, "str": str, "float": float, "bool": bool,
    "min": min, "max": max, "abs": abs, "any": any, "all": all,
}
assert set(FUNCTIONS) == ALLOWED_FUNCTIONS, "evaluator and validator must allow the same calls"

@dataclass(frozen=True)
class CompiledExpression:
    """A validated expression, compiled once and evaluated many times.

    Attributes:
        text: The expression as written.
        where: Its config path (used in errors).
    """

    text: str
    where: str
    tree: ast.Expression

    def evaluate(self, names: Mapping[str, Any], *, location: str | None = None) -> Any:
        """Evaluate with ``names`` bound (dicts are read through :class:`ObjectView`).

        Args:
            names: Values of the names the expression may use.
            location: Resource/page description for runtime errors.

        Returns:
            The plain value (objects unwrapped, a missing key as ``None``).

        Raises:
            ResponseError: The expression failed on this data (type error, missing value
                used in arithmetic, size limit...).
        """
        try:
            return unwrap(_Evaluator(names).visit(self.tree.body))
        except _EvalError as exc:
            raise ResponseError(f"expression `{self.text}` ({self.where}) failed: {exc}",
                                location=location) from None
        except (TypeError, ValueError, ZeroDivisionError, OverflowError, IndexError,
                KeyError, AttributeError, RecursionError) as exc:
            raise ResponseError(f"expression `{self.text}` ({self.where}) failed: "
                                f"{type(exc).__name__}: {str(exc)[:200]}",
                                location=location) from None


def compile_expression(text: str, where: str,
                       names: Collection[str] = STOP_CONDITION_NAMES) -> CompiledExpression:
    """Parse and validate ``text`` once.

    Args:
        text: The expression (Python syntax, restricted).
        where: Config path for errors, e.g. ``resources[drafts].endpoint.paginator.stop_condition``.
        names: Names the expression may use.

    Raises:
        ConfigError: Syntax error or a construct outside the sandbox.
    """
    problems = validate_expression(text, names)
    if problems:
        raise ConfigError(f"invalid expression: {'; '.join(problems)}", location=where)
    tree = ast.parse(text.strip(), mode="eval")
    return CompiledExpression(text=text, where=where, tree=tree)


class _Evaluator:
    def __init__(self, names: Mapping[str, Any]):
        self._names = names

    def visit(self, node: ast.AST) -> Any:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:  # pragma: no cover - validation refuses these
            raise _EvalError(f"'{type(node).__name__}' not allowed")
        return method(node)

    def visit_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in self._names:
            return wrap(self._names[node.id])
        if node.id in FUNCTIONS:
            raise _EvalError(f"function '{node.id}' used as a value")
        return EMPTY

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        return self._member(self.visit(node.value), node.attr)

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        target = self.visit(node.value)
        if isinstance(node.slice, ast.Slice):
            s = node.slice
            lower = self.visit(s.lower) if s.lower else None
            upper = self.visit(s.upper) if s.upper else None
            step = self.visit(s.step) if s.step else None
            if not isinstance(target, list | tuple | str):
                raise _EvalError("slicing needs a list or a string")
            return target[slice(lower, upper, step)]
        return self._member(target, self.visit(node.slice))

    @staticmethod
    def _member(target: Any, key: Any) -> Any:
        if isinstance(target, ObjectView):
            return wrap(target.lookup(key))
        if isinstance(target, _Empty):
            return EMPTY
        if isinstance(target, list | tuple | str) and isinstance(key, int) \
                and not isinstance(key, bool):
            try:
                return wrap(target[key])
            except IndexError:
                return EMPTY
        if isinstance(key, str):
            raise _EvalError(f"cannot read '{key}' of a {type(target).__name__}")
        raise _EvalError(f"cannot index a {type(target).__name__} with {key!r}")

    def visit_Call(self, node: ast.Call) -> Any:
        args = [self.visit(a) for a in node.args]
        if isinstance(node.func, ast.Attribute):  # .get(key[, default])
            target = self.visit(node.func.value)
            if not 1 <= len(args) <= 2:
                raise _EvalError(".get() takes a key and an optional default")
            if isinstance(target, _Empty):
                return wrap(args[1]) if len(args) == 2 else None
            if not isinstance(target, ObjectView):
                raise _EvalError(f".get() called on a {type(target).__name__}")
            value = target.lookup(args[0])
            if value is EMPTY:
                return wrap(args[1]) if len(args) == 2 else None
            return wrap(value)
        assert isinstance(node.func, ast.Name)
        func = FUNCTIONS[node.func.id]
        plain = [a.unwrap() if isinstance(a, ObjectView) else a for a in args]
        return _check_size(func(*plain))

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.visit(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return not value
        if isinstance(node.op, ast.USub):
            return -value
        return +value

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Add):
            for side in (left, right):
                if isinstance(side, str | list | tuple) and \
                        len(left if side is right else right) + len(side) > MAX_SEQUENCE_LENGTH:
                    raise _EvalError(f"concatenation longer than {MAX_SEQUENCE_LENGTH} items")
        return _check_size(_BIN_OPS[type(node.op)](left, right))

    def visit_Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            if isinstance(op, ast.In | ast.NotIn) and isinstance(right, _Empty):
                right = ()
            if not _CMP_OPS[type(op)](left, right):
                return False
            left = right
        return True

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def visit_List(self, node: ast.List) -> list[Any]:
        return [unwrap(self.visit(e)) for e in node.elts]

    def visit_Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(unwrap(self.visit(e)) for e in node.elts)

    def visit_Dict(self, node: ast.Dict) -> ObjectView:
        keys = [self.visit(k) if k is not None else None for k in node.keys]
        if any(k is None for k in keys):
            raise _EvalError("'**' in dict literals is not allowed")
        return ObjectView({k: unwrap(self.visit(v)) for k, v in zip(keys, node.values, strict=True)})
