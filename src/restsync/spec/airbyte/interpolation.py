"""Airbyte's interpolation: Jinja2 in a sandbox, with exactly the CDK's variables and macros.

Every template is compiled when the manifest is compiled (a syntax error, an unknown variable
or a reach outside the data is a located error before any request); it is rendered at
request time by the extract stage through :class:`restsync.spec.templated.TemplateValue`.

Safety: the environment is Jinja's ``ImmutableSandboxedEnvironment`` (no attribute of an
object starting with ``_``, no method that changes a list or dict, no ``range``), and the compiler walks each
template's syntax tree first and refuses ``import``/``include``/``extends``/``macro`` blocks,
attribute or item names starting with ``__`` and any name that is not one of the CDK's
variables, macros or loop variables. Output is bounded: ``*`` builds at most 1,000,000
items, ``**`` at most 100,000 bits, format widths stop at 9999, padding methods (``ljust``...)
and Jinja's ``center``/``indent``/``wordwrap``/``format`` filters are gone. Nothing is ever passed to Python's ``eval``: a rendered
text becomes a value with :func:`ast.literal_eval` (literals only), as the CDK does.

Rendering follows the CDK's ``JinjaInterpolation.eval``: the text is rendered; a non-empty
result is read as a Python literal (``"5"`` -> ``5``, ``"['a']"`` -> a list) when its type is
one the caller accepts; an empty result, or an undefined value met on the way, gives the
default (for a plain string template: the rendering itself, empty; for a mapping value:
``None``, which leaves the key out).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateSyntaxError, UndefinedError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from restsync.spec.airbyte.macros import FILTERS, MACROS, TemplateRenderError
from restsync.spec.airbyte.template_reads import keys_read

__all__ = ["MACROS", "VARIABLES", "InterpolationError", "Template", "TemplateRenderError",
           "compile_template", "is_template"]

VARIABLES = frozenset({
    "config", "parameters", "stream_slice", "stream_partition", "stream_interval",
    "next_page_token", "response", "headers", "last_record", "last_page_size", "record",
    "stream_state", "last_page_token_value", "creation_response", "polling_response",
    "download_target", "components_values", "query_properties", "extra_fields", "property",
})
"""The names the CDK puts in a template's context (depending on where it is used)."""


class InterpolationError(ValueError):
    """A template cannot be compiled (syntax, an unknown name, a reach outside the data)."""


_MAX_REPEAT = 1_000_000
"""Longest string/list a template may build with ``*`` (items)."""
_MAX_EXPONENT = 1_000
"""Largest exponent of ``**``."""
_MAX_POWER_BITS = 100_000
"""Largest integer ``**`` may build (bits)."""
_WIDE_PERCENT = re.compile(r"%[^a-zA-Z%]*(\d{5,}|\*)")
"""A %-format width/precision above 9999, or given as an argument (``%*s``)."""
_WIDE_FORMAT = re.compile(r"\{[^{}]*:[^{}]*(\d{5,}|\{)")
"""A ``str.format`` width/precision above 9999, or given as an argument (``{0:{1}}``)."""


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with ``*`` and ``**`` bounded (``'a' * 10**9`` or
    ``9 ** 10**9`` would exhaust memory or time) and no global beyond the CDK's macros and
    ``dict`` (no ``range``, ``lipsum``, ``cycler``, ``joiner``, ``namespace``)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "%":
            if isinstance(left, str) and _WIDE_PERCENT.search(left):
                raise SecurityError("a %-format width or precision above 9999 is refused")
            return left % right
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
                raise SecurityError(f"exponent {right} is larger than {_MAX_EXPONENT}")
            if isinstance(left, int) and isinstance(right, int) \
                    and left.bit_length() * right > _MAX_POWER_BITS:
                raise SecurityError(f"power larger than {_MAX_POWER_BITS:,} bits")
            return left ** right
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(times, int) \
                    and len(seq) * times > _MAX_REPEAT:
                raise SecurityError(f"repetition longer than {_MAX_REPEAT:,} items")
        return left * right

    def getattr(self, obj: Any, attribute: str) -> Any:
        _check_format(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _check_format(obj, argument)
        return super().getitem(obj, argument)


_PADDING_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
"""String methods whose output is sized by an argument: refused."""


def _check_format(obj: Any, name: Any) -> None:
    """``str.format`` in a template: a width or precision above 9999 is refused; padding
    methods are refused."""
    if not isinstance(obj, str | bytes):
        return
    if name in _PADDING_METHODS:
        raise SecurityError(f"the string method {name} is refused (unbounded output)")
    if name in ("format", "format_map") and isinstance(obj, str) and _WIDE_FORMAT.search(obj):
        raise SecurityError("a format width or precision above 9999 is refused")


_ENV = _BoundedSandbox()
for _unbounded in ("center", "indent", "wordwrap", "format"):  # output sized by an argument
    _ENV.filters.pop(_unbounded, None)
_ENV.filters.update(FILTERS)
for _name in ("range", "lipsum", "cycler", "joiner", "namespace"):
    _ENV.globals.pop(_name, None)  # range as the CDK; the others are no CDK macro
_ENV.globals.update(MACROS)
_GLOBALS = frozenset(_ENV.globals)

_REFUSED_NODES: tuple[tuple[type[nodes.Node], str], ...] = (
    (nodes.Import, "import"), (nodes.FromImport, "from ... import"),
    (nodes.Include, "include"), (nodes.Extends, "extends"), (nodes.Macro, "macro"),
    (nodes.CallBlock, "call block"), (nodes.Block, "block"),
)

_MAX_TEMPLATE_LENGTH = 20_000


def is_template(text: str) -> bool:
    """Whether ``text`` holds Jinja syntax (``{{``, ``{%`` or ``{#``)."""
    return "{{" in text or "{%" in text or "{#" in text


def _check_tree(tree: nodes.Template) -> None:
    for node_type, what in _REFUSED_NODES:
        if tree.find(node_type) is not None:
            raise InterpolationError(f"`{what}` is not allowed in a template")
    for getattr_node in tree.find_all(nodes.Getattr):
        if getattr_node.attr.startswith("__"):
            raise InterpolationError(
                f"attribute `{getattr_node.attr}` is refused (Python internals are outside "
                "the data)")
    for item in tree.find_all(nodes.Getitem):
        arg = item.arg
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str) \
                and arg.value.startswith("__"):
            raise InterpolationError(
                f"item `{arg.value}` is refused (Python internals are outside the data)")
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for name in tree.find_all(nodes.Name):
        if name.ctx != "load" or name.name in assigned:
            continue
        if name.name in VARIABLES or name.name in _GLOBALS or name.name == "loop":
            continue
        raise InterpolationError(
            f"unknown name `{name.name}` (known variables: {', '.join(sorted(VARIABLES))}; "
            f"macros: {', '.join(sorted(MACROS))})")


class _SliceView(dict[str, Any]):
    """``stream_slice`` as the CDK shows it: a mapping (partition and interval merged) with
    ``partition``, ``cursor_slice`` and ``extra_fields`` attributes."""

    def __init__(self, partition: Mapping[str, Any], cursor_slice: Mapping[str, Any],
                 extra_fields: Mapping[str, Any]) -> None:
        super().__init__({**partition, **cursor_slice})
        self.partition = dict(partition)
        self.cursor_slice = dict(cursor_slice)
        self.extra_fields = dict(extra_fields)


def slice_view(partition: Mapping[str, Any] | None, cursor_slice: Mapping[str, Any] | None,
               extra_fields: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A ``stream_slice`` value from a partition and a date window (both may be empty)."""
    return _SliceView(partition or {}, cursor_slice or {}, extra_fields or {})


def _literal(text: Any, valid_types: tuple[type, ...] | None) -> Any:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    if valid_types is None:
        return text if isinstance(value, complex) else value
    return value if isinstance(value, valid_types) else text


class Template:
    """One compiled manifest string (a :class:`restsync.spec.templated.TemplateValue`).

    Args:
        text: The string as written.
        parameters: The component's ``$parameters`` (the ``parameters`` variable).
        default: What an empty or undefined rendering gives: ``"self"`` (the CDK's
            interpolated strings: render the text again), ``None`` (mapping values: the key
            is left out), or another template text (``"False"`` for conditions).
        valid_types: Types a rendered literal may become (``None``: any but complex).
        literal: Read the rendering as a Python literal (the CDK does; field names don't).
        where: Manifest path, for messages.

    Raises:
        InterpolationError: A syntax error, an unknown name, a refused construct.
    """

    def __init__(self, text: str, parameters: Mapping[str, Any] | None = None, *,
                 default: str | None = "self", valid_types: tuple[type, ...] | None = None,
                 literal: bool = True, where: str = "") -> None:
        self.text = text
        self.where = where
        self.parameters = dict(parameters or {})
        self._valid_types = valid_types
        self._literal = literal
        self._default = default
        self._compiled: Any = None
        self._constant: Any = None
        self.is_plain = not is_template(text)
        if len(text) > _MAX_TEMPLATE_LENGTH:
            raise InterpolationError(f"template longer than {_MAX_TEMPLATE_LENGTH:,} characters")
        if self.is_plain:
            self._constant = (_literal(text, valid_types) if literal and text else text)
            if not text:
                self._constant = self._empty_default()
            return
        try:
            tree = _ENV.parse(text)
        except TemplateSyntaxError as exc:
            raise InterpolationError(f"template syntax error (line {exc.lineno}): "
                                     f"{exc.message}") from None
        _check_tree(tree)
        try:
            self._compiled = _ENV.from_string(text)
        except TemplateSyntaxError as exc:  # an unknown filter or test
            raise InterpolationError(f"template error: {exc.message}") from None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the compiled Jinja template, which does not pickle (a scaled-out
        run ships the plan to its workers); it is compiled again at its first render."""
        return {**self.__dict__, "_compiled": None}

    def names(self) -> set[str]:
        """The context variables the template reads (``config``, ``stream_partition``...)."""
        if self.is_plain:
            return set()
        tree = _ENV.parse(self.text)
        return {n.name for n in tree.find_all(nodes.Name)
                if n.ctx == "load" and n.name in VARIABLES}

    def keys_read(self, name: str) -> frozenset[str] | None:
        """The first-level keys the template reads of the variable ``name`` (empty: it does
        not use it), or None when it uses it otherwise than by constant keys
        (:func:`~restsync.spec.airbyte.template_reads.keys_read`)."""
        if self.is_plain:
            return frozenset()
        reads: dict[str, frozenset[str] | None] = self.__dict__.setdefault("_reads", {})
        if name not in reads:  # asked once per page sequence: parsed once per template
            reads[name] = keys_read(_ENV.parse(self.text), name)
        return reads[name]

    def _empty_default(self) -> Any:
        if self._default is None:
            return None
        if self._default == "self":
            return ""
        return _literal(self._default, self._valid_types) if self._literal else self._default

    def render(self, variables: Mapping[str, Any]) -> Any:
        """The value for one request (``variables``: the context, ``config`` included).

        Raises:
            TemplateRenderError: Rendering failed (an undefined value where the CDK fails
                too, a refused operation, an error in a macro).
        """
        if self.is_plain:
            return self._constant
        context = dict(variables)
        context.setdefault("parameters", self.parameters)
        if "stream_slice" in context:
            context.setdefault("stream_partition", context["stream_slice"])
            context.setdefault("stream_interval", context["stream_slice"])
        try:
            if self._compiled is None:  # unpickled (see __getstate__)
                self._compiled = _ENV.from_string(self.text)
            text = self._compiled.render(context)
        except UndefinedError as exc:
            if self._default is None:
                return None
            if self._default != "self":
                return self._empty_default()
            raise TemplateRenderError(f"{self.where or 'template'}: {exc.message}") from None
        except SecurityError as exc:
            raise TemplateRenderError(f"{self.where or 'template'}: refused: {exc}") from None
        except TemplateRenderError:
            raise
        except Exception as exc:  # an error inside a macro or filter (bad date, bad type)
            raise TemplateRenderError(
                f"{self.where or 'template'}: {type(exc).__name__}: {exc}") from None
        if not text:
            return self._empty_default()
        return _literal(text, self._valid_types) if self._literal else text

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def compile_template(text: str, parameters: Mapping[str, Any] | None = None, **kwargs: Any
                     ) -> Template:
    """Compile one manifest string (see :class:`Template` for the options)."""
    return Template(text, parameters, **kwargs)
