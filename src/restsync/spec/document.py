"""Read a connector document (Markdown or plain text) into a raw spec dict, safely.

The document's fenced code block holding ``rest_api_source({...})`` (or a bare dict, or a
``name = {...}`` assignment) is parsed with :mod:`ast` and **never executed**: only literals
are evaluated, plus ``dlt.secrets["k"]`` / ``dlt.config["k"]`` (and ``.get("k")``), which
become :class:`~restsync.spec.refs.SecretRef` / :class:`~restsync.spec.refs.ConfigRef`.
JavaScript-style ``//`` comments outside strings are blanked first. Anything else (a call,
a variable, a lambda, an f-string, arithmetic) is a located :class:`SpecError`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from restsync.spec.issues import Issues, RawPath
from restsync.spec.refs import REF_NAME, ConfigRef, SecretRef

SOURCE_FUNCTIONS = frozenset({"rest_api_source", "rest_api_resources"})


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block of a Markdown document.

    Attributes:
        info: The fence's info string (``python``), lower-cased.
        text: The block's content.
        first_line: Document line (1-based) of the block's first content line.
    """

    info: str
    text: str
    first_line: int


@dataclass
class ParsedDocument:
    """A connector document after reading.

    Attributes:
        spec: The raw spec dict (with reference objects); ``None`` when unreadable.
        lines: Document line of each raw path (for located errors).
        prose: The document without the code block (Markdown text).
        sections: Markdown sections by heading text (``"Schema"`` -> its text).
        name: A ``name=`` given to ``rest_api_source(...)``, if any.
    """

    spec: dict[str, Any] | None
    lines: dict[RawPath, int] = field(default_factory=dict)
    prose: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    name: str | None = None


_FENCE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*?)[ \t]*$")


def code_blocks(text: str) -> list[CodeBlock]:
    """Return the fenced code blocks of a Markdown text, in order."""
    blocks: list[CodeBlock] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        fence = match.group("fence")
        info = (match.group("info").split() or [""])[0].lower()
        start = i + 1
        j = start
        while j < len(lines):
            close = _FENCE.match(lines[j])
            if (close is not None and close.group("fence")[0] == fence[0]
                    and len(close.group("fence")) >= len(fence) and not close.group("info")):
                break
            j += 1
        blocks.append(CodeBlock(info, "\n".join(lines[start:j]), start + 1))
        i = j + 1
    return blocks


def markdown_sections(text: str) -> dict[str, str]:
    """Split Markdown prose into ``{heading: body}`` (ATX headings, any level)."""
    sections: dict[str, str] = {}
    current: str | None = None
    body: list[str] = []
    for line in text.splitlines():
        heading = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            if current is not None:
                sections[current] = "\n".join(body).strip()
            current, body = heading.group(1), []
        elif current is not None:
            body.append(line)
    if current is not None:
        sections[current] = "\n".join(body).strip()
    return sections


def strip_js_comments(code: str) -> str:
    """Blank ``//`` comments that are outside Python strings (line numbers are kept)."""
    out: list[str] = []
    i, n = 0, len(code)
    quote: str | None = None
    while i < n:
        ch = code[i]
        if quote is not None:
            if ch == "\\":
                out.append(code[i:i + 2])
                i += 2
                continue
            if code.startswith(quote, i):
                out.append(quote)
                i += len(quote)
                quote = None
                continue
            if ch == "\n" and len(quote) == 1:  # unterminated: let ast report it
                quote = None
            out.append(ch)
            i += 1
            continue
        if ch in "'\"":
            quote = ch * 3 if code.startswith(ch * 3, i) else ch
            out.append(quote)
            i += len(quote)
            continue
        if ch == "#" or code.startswith("//", i):
            end = code.find("\n", i)
            end = n if end == -1 else end
            out.append(code[i:end] if ch == "#" else " " * (end - i))
            i = end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def read_document(text: str, issues: Issues) -> ParsedDocument:
    """Find and safely evaluate the spec in a connector document.

    Args:
        text: The whole document (Markdown, or Python source without fences).
        issues: Collector; problems are added with document line numbers.

    Returns:
        The parsed document; ``spec`` is ``None`` when nothing usable was found.
    """
    blocks = code_blocks(text)
    chosen = _choose_block(blocks)
    if chosen is None:
        if blocks:
            issues.add((), "no fenced code block holds a rest_api_source({...}) config or a dict")
            return ParsedDocument(None, prose=text, sections=markdown_sections(text))
        chosen = CodeBlock("python", text, 1)
        prose = ""
    else:
        lines = text.splitlines()
        start, end = chosen.first_line - 2, chosen.first_line - 1 + len(chosen.text.splitlines()) + 1
        prose = "\n".join(lines[:max(start, 0)] + lines[end:])
    parsed = _evaluate_block(chosen, issues)
    parsed.prose = prose
    parsed.sections = markdown_sections(prose)
    return parsed


def _choose_block(blocks: list[CodeBlock]) -> CodeBlock | None:
    python = [b for b in blocks if b.info in ("python", "py", "python3", "")]
    for block in python:
        if any(f in block.text for f in SOURCE_FUNCTIONS):
            return block
    for block in python:
        if "{" in block.text:
            return block
    return None


class _Evaluator:
    """Evaluates literal AST nodes into Python values, recording lines and problems."""

    def __init__(self, issues: Issues, offset: int):
        self.issues = issues
        self.offset = offset
        self.lines: dict[RawPath, int] = {}

    def line(self, node: ast.AST) -> int:
        return int(getattr(node, "lineno", 1)) + self.offset

    def fail(self, path: RawPath, node: ast.AST, message: str) -> None:
        self.issues.add(path, message, line=self.line(node))

    def value(self, node: ast.expr, path: RawPath) -> Any:
        self.lines.setdefault(path, self.line(node))
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str | int | float | bool) or node.value is None:
                return node.value
            self.fail(path, node, f"{type(node.value).__name__} literals are not allowed")
            return None
        if isinstance(node, ast.Dict):
            out: dict[str, Any] = {}
            for key_node, value_node in zip(node.keys, node.values, strict=True):
                if key_node is None:
                    self.fail(path, value_node, "'**' unpacking is not supported: write the keys out")
                    continue
                if not (isinstance(key_node, ast.Constant) and isinstance(key_node.value, str)):
                    self.fail(path, key_node, "dict keys must be string literals")
                    continue
                key = key_node.value
                self.lines[(*path, key)] = self.line(key_node)
                if key in out:
                    self.fail((*path, key), key_node, f"key '{key}' appears twice")
                out[key] = self.value(value_node, (*path, key))
            return out
        if isinstance(node, ast.List | ast.Tuple):
            items: list[Any] = []
            for i, item in enumerate(node.elts):
                if isinstance(item, ast.Starred):
                    self.fail((*path, i), item, "'*' unpacking is not supported")
                    continue
                items.append(self.value(item, (*path, len(items))))
            return items
        if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd)
                and isinstance(node.operand, ast.Constant)
                and type(node.operand.value) in (int, float)):
            number: int | float = node.operand.value  # type: ignore[assignment]
            return -number if isinstance(node.op, ast.USub) else number
        ref = self.reference(node, path)
        if ref is not None:
            return ref
        self.fail(path, node, f"{_describe(node)} is not evaluated: the config block may only "
                              "hold literals and dlt.secrets[...] / dlt.config[...]")
        return None

    def reference(self, node: ast.expr, path: RawPath) -> SecretRef | ConfigRef | None:
        """``dlt.secrets["k"]`` / ``dlt.config.get("k")`` -> a reference, else None."""
        target: ast.expr | None = None
        key: ast.expr | None = None
        if isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "get"):
            target = node.func.value
            if len(node.args) != 1 or node.keywords:
                kind = _provider(target)
                if kind is not None:
                    self.fail(path, node, f"dlt.{kind}.get() takes exactly one name here "
                                          "(defaults are not supported)")
                    return SecretRef("invalid") if kind == "secrets" else ConfigRef("invalid")
                return None
            key = node.args[0]
        elif isinstance(node, ast.Attribute) and node.attr == "value":
            kind = _provider(node.value)
            if kind is not None:
                self.fail(path, node, f"dlt.{kind}.value has no name here; write "
                                      f"dlt.{kind}[\"name\"]")
                return SecretRef("invalid") if kind == "secrets" else ConfigRef("invalid")
            return None
        kind = _provider(target) if target is not None else None
        if kind is None or key is None:
            return None
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)
                and REF_NAME.match(key.value)):
            self.fail(path, node, f"dlt.{kind}[...] needs a literal name like "
                                  f"dlt.{kind}[\"client_id\"]")
            return SecretRef("invalid") if kind == "secrets" else ConfigRef("invalid")
        return SecretRef(key.value) if kind == "secrets" else ConfigRef(key.value)


def _provider(node: ast.expr) -> str | None:
    """``"secrets"``/``"config"`` when ``node`` is ``dlt.secrets``/``dlt.config`` (or bare)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and node.value.id == "dlt" and node.attr in ("secrets", "config"):
        return node.attr
    if isinstance(node, ast.Name) and node.id in ("secrets", "config"):
        return node.id
    return None


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "?")
        return f"a function call ({name}(...))"
    words = {
        ast.Name: "a variable", ast.Lambda: "a lambda", ast.JoinedStr: "an f-string",
        ast.BinOp: "an operator expression", ast.Attribute: "an attribute access",
        ast.Subscript: "a subscript", ast.ListComp: "a comprehension",
        ast.DictComp: "a comprehension", ast.Set: "a set", ast.IfExp: "a conditional",
        ast.BoolOp: "a boolean expression", ast.Compare: "a comparison",
    }
    if isinstance(node, ast.Name):
        return f"a variable ('{node.id}')"
    return words.get(type(node), f"a {type(node).__name__} expression")


def _evaluate_block(block: CodeBlock, issues: Issues) -> ParsedDocument:
    offset = block.first_line - 1
    code = strip_js_comments(block.text)
    try:
        module = ast.parse(code)
    except SyntaxError as exc:
        line = (exc.lineno or 1) + offset
        issues.add((), f"the code block is not valid Python: {exc.msg}", line=line)
        return ParsedDocument(None)
    except (ValueError, MemoryError, RecursionError) as exc:
        issues.add((), f"the code block cannot be parsed: {exc}", line=block.first_line)
        return ParsedDocument(None)
    evaluator = _Evaluator(issues, offset)
    found = _find_config(module, evaluator)
    if found is None:
        issues.add((), "no rest_api_source({...}) call or dict literal found in the code block",
                   line=block.first_line)
        return ParsedDocument(None)
    node, name = found
    if not isinstance(node, ast.Dict):
        evaluator.fail((), node, f"the config must be a dict literal, found {_describe(node)}")
        return ParsedDocument(None)
    spec = evaluator.value(node, ())
    return ParsedDocument(spec, lines=evaluator.lines, name=name)


def _source_call(node: ast.AST | None) -> ast.Call | None:
    if isinstance(node, ast.Call):
        func = node.func
        fname = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else None)
        if fname in SOURCE_FUNCTIONS:
            return node
    return None


def _find_config(module: ast.Module, ev: _Evaluator) -> tuple[ast.expr, str | None] | None:
    """Locate the config dict: the argument of rest_api_source(...), else the last dict."""
    dicts: dict[str, ast.expr] = {}
    last_dict: ast.expr | None = None
    for stmt in module.body:
        value: ast.expr | None = None
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            value, targets = stmt.value, list(stmt.targets)
        elif isinstance(stmt, ast.AnnAssign):
            value, targets = stmt.value, [stmt.target]
        elif isinstance(stmt, ast.Expr):
            value = stmt.value
        call = _source_call(value)
        if call is not None:
            return _call_config(call, dicts, ev)
        if isinstance(value, ast.Dict):
            last_dict = value
            for target in targets:
                if isinstance(target, ast.Name):
                    dicts[target.id] = value
    return (last_dict, None) if last_dict is not None else None


def _call_config(call: ast.Call, dicts: dict[str, ast.expr],
                 ev: _Evaluator) -> tuple[ast.expr, str | None]:
    config: ast.expr | None = call.args[0] if call.args else None
    name: str | None = None
    for extra in call.args[1:]:
        ev.fail((), extra, "rest_api_source() takes the config as its only positional argument")
    for kw in call.keywords:
        if kw.arg == "config" and config is None:
            config = kw.value
        elif kw.arg == "name" and isinstance(kw.value, ast.Constant) \
                and isinstance(kw.value.value, str):
            name = kw.value.value
        else:
            ev.fail((), kw.value, f"argument '{kw.arg}' of rest_api_source() is not supported")
    if config is None:
        ev.fail((), call, "rest_api_source() is called without a config dict")
        return call, name
    if isinstance(config, ast.Name) and config.id in dicts:
        config = dicts[config.id]
    return config, name
