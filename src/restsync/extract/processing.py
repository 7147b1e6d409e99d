"""Processing steps (``filter`` / ``map``) applied to records, through the expression sandbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from restsync.extract.expressions import PROCESSING_NAMES, CompiledExpression, compile_expression
from restsync.spec.model import ProcessingStep

__all__ = ["RecordProcessor"]


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
        self._config = dict(config_values or {})
        self._steps: list[tuple[CompiledExpression | None, dict[str, CompiledExpression]]] = []
        for i, step in enumerate(steps):
            at = f"{where}[{i}]"
            condition = (compile_expression(step.filter, f"{at}.filter", PROCESSING_NAMES)
                         if step.filter else None)
            mapping = {column: compile_expression(text, f"{at}.map.{column}", PROCESSING_NAMES)
                       for column, text in (step.map or {}).items()}
            self._steps.append((condition, mapping))

    def __bool__(self) -> bool:
        return bool(self._steps)

    def apply(self, records: list[dict[str, Any]], *, location: str) -> list[dict[str, Any]]:
        """Filter and map ``records`` (mapped records are new dicts; inputs are not changed).

        Raises:
            ResponseError: An expression failed on a record (location names the record).
        """
        out = records
        for condition, mapping in self._steps:
            kept: list[dict[str, Any]] = []
            for index, record in enumerate(out):
                at = f"{location}, record {index}"
                if condition is not None and not condition.evaluate(
                        {"record": record, "config": self._config}, location=at):
                    continue
                if mapping:
                    names = {"record": record, "config": self._config}
                    record = {**record, **{column: expr.evaluate(names, location=at)
                                           for column, expr in mapping.items()}}
                kept.append(record)
            out = kept
        return out
