"""What a template reads of one variable: the keys it takes from it, when it can be told.

The extract stage asks this of a paginator's templates to know whether it may leave a page's
records unparsed (:mod:`restsync.extract.raw_records`): a ``cursor_value`` of
``{{ response.paging.next }}`` or ``{{ response.get('meta', {}).get('next') }}`` reads the
body's ``paging`` or ``meta`` key and nothing else of it. Any other use of the variable (the
whole of it, a key computed at render time, a dict method such as ``items``, an assignment)
means "cannot tell", and the caller parses everything as before.
"""

from __future__ import annotations

from jinja2 import nodes

__all__ = ["keys_read"]

_DICT_ATTRIBUTES = frozenset(dir(dict))
"""Attribute names Jinja resolves to a dict's method before its key (``response.items``)."""


def _is_variable(node: nodes.Node, name: str) -> bool:
    return isinstance(node, nodes.Name) and node.name == name


def _const_text(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    return None


def keys_read(tree: nodes.Template, name: str) -> frozenset[str] | None:
    """The first-level keys ``tree`` reads of the variable ``name``.

    Every use must be a constant key: ``name.key``, ``name['key']`` or
    ``name.get('key', ...)``. Returns an empty set when the template does not use the
    variable, and None when some use is anything else.
    """
    uses = [node for node in tree.find_all(nodes.Name) if node.name == name]
    if not uses:
        return frozenset()
    keys: set[str] = set()
    covered: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Call)):
        if isinstance(node, nodes.Call):
            target = node.node
            if isinstance(target, nodes.Getattr) and target.attr == "get" \
                    and _is_variable(target.node, name):
                key = _const_text(node.args[0]) if node.args else None
                if key is None or node.kwargs or node.dyn_args or node.dyn_kwargs:
                    return None
                keys.add(key)
                covered.add(id(target.node))
        elif isinstance(node, nodes.Getattr) and _is_variable(node.node, name):
            if node.attr == "get":
                continue  # covered by its call, or left uncovered (a bare ``name.get``)
            if node.attr in _DICT_ATTRIBUTES:
                return None
            keys.add(node.attr)
            covered.add(id(node.node))
        elif isinstance(node, nodes.Getitem) and _is_variable(node.node, name):
            key = _const_text(node.arg)
            if key is None:
                return None
            keys.add(key)
            covered.add(id(node.node))
    if any(id(use) not in covered for use in uses):
        return None
    return frozenset(keys)
