"""Processing steps applied to records, in order.

From specs: ``filter`` / ``map`` restricted expressions, through the expression sandbox.
From the Python API: dlt's callables ``filter(record) -> bool``, ``map(record) -> record`` and
``yield_map(record) -> iterable of records``; an exception they raise fails the resource with
the step and the record named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from restsync.errors import ResponseError
from restsync.extract.expressions import PROCESSING_NAMES, CompiledExpression, compile_expression
from restsync.spec.code import UserCode
from restsync.spec.model import ProcessingStep

__all__ = ["RecordProcessor"]

Step = Callable[[dict[str, Any], str], list[dict[str, Any]]]
"""One compiled step: ``(record, location) -> records`` (none, one, or several)."""


def _expression_step(step: ProcessingStep, at: str, config: dict[str, Any]) -> Step:
    condition: CompiledExpression | None = None
    if isinstance(step.filter, str):
        condition = compile_expression(step.filter, f"{at}.filter", PROCESSING_NAMES)
    mapping: dict[str, CompiledExpression] = {}
    if isinstance(step.map, dict):
        mapping = {column: compile_expression(text, f"{at}.map.{column}", PROCESSING_NAMES)
                   for column, text in step.map.items()}

    def run(record: dict[str, Any], location: str) -> list[dict[str, Any]]:
        names = {"record": record, "config": config}
        if condition is not None and not condition.evaluate(names, location=location):
            return []
        if mapping:
            record = {**record, **{column: expr.evaluate(names, location=location)
                                   for column, expr in mapping.items()}}
        return [record]
    return run


def _code_step(kind: str, code: UserCode, at: str) -> Step:
    def run(record: dict[str, Any], location: str) -> list[dict[str, Any]]:
        try:
            result = code(record)
            if kind == "filter":
                return [record] if result else []
            if kind == "map":
                return [] if result is None else [result]
            return [r for r in result if r is not None]  # yield_map
        except Exception as exc:
            raise ResponseError(f"{kind} {code.name} raised {type(exc).__name__}: {exc}",
                                location=f"{location} ({at}.{kind})") from exc
    return run


class RecordProcessor:
    """Compiled processing steps of one resource, applied in order.

    Args:
        steps: The resource's ``processing_steps``.
        where: Config path of the list (``resources[x].processing_steps``).
        config_values: The ``config`` name seen by the expressions.

    Raises:
        ConfigError: An expression is invalid (message names the step).
    """

    def __init__(self, steps: Sequence[ProcessingStep], *, where: str,
                 config_values: Mapping[str, Any] | None = None):
        config = dict(config_values or {})
        self._steps: list[Step] = []
        for i, step in enumerate(steps):
            at = f"{where}[{i}]"
            code = next(((kind, c) for kind in ("filter", "map", "yield_map")
                         if isinstance(c := getattr(step, kind), UserCode)), None)
            self._steps.append(_code_step(*code, at) if code is not None
                               else _expression_step(step, at, config))

    def __bool__(self) -> bool:
        return bool(self._steps)

    def apply(self, records: list[dict[str, Any]], *, location: str) -> list[dict[str, Any]]:
        """Filter and map ``records`` (expression-mapped records are new dicts).

        Raises:
            ResponseError: A step failed on a record (location names the record).
        """
        out = records
        for step in self._steps:
            kept: list[dict[str, Any]] = []
            for index, record in enumerate(out):
                kept.extend(step(record, f"{location}, record {index}"))
            out = kept
        return out
