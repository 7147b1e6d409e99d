"""Templates of a manifest that give one value for a whole run, rendered once.

Most of a request's templates read only the connector's ``config`` (``url_base:
"{{ config['base'] }}"``, an API key header, a page size): the same text for every page.
:class:`RunConstants` renders each such template once per page sequence and keeps the value;
every other template is rendered for each request as before. Which templates qualify is
decided from the text alone (:func:`run_constant`), conservatively: a template that calls
anything (a macro like ``now_utc()``) or uses the ``random`` filter is rendered every time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from restsync.spec.templated import TemplateValue

__all__ = ["RunConstants", "is_template", "run_constant"]

_TEMPLATE_TYPES: dict[type, bool] = {}


def is_template(value: Any) -> TypeGuard[TemplateValue]:
    """``isinstance(value, TemplateValue)``, decided once per type (a check against a
    runtime protocol costs about 0.1 ms; a request checks several values)."""
    kind = type(value)
    known = _TEMPLATE_TYPES.get(kind)
    if known is None:
        known = _TEMPLATE_TYPES[kind] = isinstance(value, TemplateValue)
    return known


_RUN_CONSTANT_NAMES = frozenset({"config", "parameters"})
_constant_texts: dict[tuple[type, str], bool] = {}
_MAX_CONSTANT_TEXTS = 10_000


def run_constant(template: TemplateValue) -> bool:
    """Whether ``template`` gives the same value for every request of a run: it reads only
    ``config`` and ``parameters`` (both fixed for a run) and calls nothing (no macro such as
    ``now_utc()``, no ``random`` filter). Decided from its text, once per text and type."""
    text = template.text
    known = _constant_texts.get((type(template), text))
    if known is None:
        names = getattr(template, "names", None)
        known = (callable(names) and "(" not in text and "random" not in text
                 and set(names()) <= _RUN_CONSTANT_NAMES)
        if len(_constant_texts) >= _MAX_CONSTANT_TEXTS:
            _constant_texts.clear()
        _constant_texts[type(template), text] = known
    return known


class RunConstants:
    """Renders templates, keeping the value of each :func:`run_constant` one (by identity)
    for the rest of a page sequence: Jinja runs once for them, not once per page."""

    def __init__(self) -> None:
        self._values: dict[int, tuple[TemplateValue, Any]] = {}

    def render(self, template: TemplateValue, variables: Mapping[str, Any]) -> Any:
        """``template.render(variables)``, from the memo when the template is run-constant."""
        kept = self._values.get(id(template))
        if kept is not None and kept[0] is template:
            return kept[1]
        value = template.render(variables)
        if run_constant(template):
            self._values[id(template)] = (template, value)  # the template kept: its id stays its own
        return value
