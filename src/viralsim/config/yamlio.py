"""The one YAML reader of configs, presets, experiment specs and ``--set`` values.

PyYAML's safe loader is the base; on top of it this reader

* refuses duplicate keys (plain YAML keeps the last one silently), while still accepting merge
  keys (``<<: *base``) whose keys the mapping may override;
* limits nesting depth, document size and alias expansion, so that a hostile or mistaken
  document ends in one clean error instead of a ``RecursionError`` or a hang;
* reads integers too long for Python's int/str conversion limit as :class:`HugeInt`, a
  stand-in that every bounded schema field refuses with the field's name in the message;
* reads numbers in exponent notation without a dot or exponent sign (``1e-5``) as numbers, as
  YAML 1.2 does, where YAML 1.1 would read them as text.

Every problem is a :class:`YamlProblem` whose message is one line, without the file name (the
caller knows it) and without quoting the document beyond the offending key.
"""

from __future__ import annotations

import re
import typing
from typing import Any

import yaml

__all__ = ["HugeInt", "YamlProblem", "load_yaml", "MAX_DEPTH", "MAX_NODES", "MAX_CHARS"]

#: deepest nesting of lists and mappings; a run config is about 4 levels deep
MAX_DEPTH = 100
#: most nodes a document may hold once aliases are expanded (an alias bomb expands
#: exponentially while its text stays small)
MAX_NODES = 1_000_000
#: largest document read, in characters (a config is a few kB; experiment specs with long
#: level lists stay far below this)
MAX_CHARS = 10_000_000
#: decimal integers longer than this are not converted; int(str) refuses beyond 4,300 digits
#: and no setting takes a number of more than a few dozen digits
_MAX_INT_DIGITS = 1000


class YamlProblem(ValueError):
    """A document that is not acceptable YAML; the message is one line."""


class HugeInt(int):
    """An integer literal too long to convert, kept as its sign and digit count.

    Its value is ``sign * 10**100``: beyond every bound of the schema, so validation refuses it
    like any other out-of-range number, naming the field; :func:`repr` shows where it came from.
    """

    digits: int
    head: str

    def __new__(cls, text: str) -> HugeInt:
        text = text.replace("_", "")
        negative = text.startswith("-")
        body = text.lstrip("+-")
        self = super().__new__(cls, -(10**100) if negative else 10**100)
        prefixed = body[:2].lower() in ("0x", "0o", "0b")
        self.digits = sum(c.isalnum() for c in (body[2:] if prefixed else body))   # (not a base-60 colon)
        self.head = ("-" if negative else "") + body[:12]
        return self

    def __repr__(self) -> str:
        return f"{self.head}... ({self.digits} digits)"

    __str__ = __repr__

    def __reduce__(self):
        # copy and pickle (a spec's levels are deep-copied into every design point) rebuild it
        # from its shown head and digit count; int's own reduction would pass the stand-in value
        return _rebuild_huge_int, (self.head, self.digits)


def _rebuild_huge_int(head: str, digits: int) -> HugeInt:
    body = head.lstrip("-")
    return HugeInt(head + "0" * max(0, digits - len(body) + (2 if body[:2].lower() in ("0x", "0o", "0b") else 0)))




class _Loader(yaml.SafeLoader):
    """SafeLoader with duplicate-key, depth and size checks (see the module docstring)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        # The composer recurses once per nesting level; stop long before Python's stack does.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None:
            # Before construction: flattening merge keys rewrites mapping nodes in place, after
            # which a mapping that overrides a merged key would look like one with a duplicate.
            _check_document(self, node)
        return node

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Resolve merge keys: the mapping's own keys win, then earlier merge sources.

        PyYAML's version picks merged keys by the identity of the key's string object, so a
        key that a merged mapping itself overrides (``m: &m {<<: *b, x: 2}``, then
        ``{<<: *m}``) could come out with the overridden value.
        """
        merged: list = []
        own: list = []
        for key_node, value_node in node.value:
            if key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.tag == "tag:yaml.org,2002:value":
                    key_node.tag = "tag:yaml.org,2002:str"
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for sub in sources:
                if not isinstance(sub, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"expected a mapping or list of mappings for merging, but found {sub.id}",
                        sub.start_mark)
                self.flatten_mapping(sub)
                merged.extend(sub.value)
        if not merged:
            node.value = own
            return
        taken = {self._key(k) for k, _ in own}
        kept = []
        for key_node, value_node in merged:
            key = self._key(key_node)
            if key not in taken:
                taken.add(key)
                kept.append((key_node, value_node))
        node.value = kept + own

    def _key(self, key_node: yaml.Node) -> Any:
        key = self.construct_object(key_node, deep=True)
        return key if isinstance(key, typing.Hashable) else ("unhashable", id(key_node))

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        # Every form is measured before PyYAML converts it: its conversion of YAML 1.1's
        # base-60 integers (1:59:59:...) takes quadratic time in the number of parts.
        if len(text.replace("_", "").lstrip("+-")) > _MAX_INT_DIGITS:
            return HugeInt(text)
        value = super().construct_yaml_int(node)
        # Hexadecimal, octal and binary literals convert at any length, but a value of more
        # than _MAX_INT_DIGITS decimal digits could not be printed in a message.
        if value.bit_length() > 3 * _MAX_INT_DIGITS:
            return HugeInt(text)
        return value


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
# YAML 1.1 (PyYAML) reads 1e-5, 1e308 and 1.0e5 as text: its floats need a dot and a signed
# exponent. Configs write rates as 1e-5, and strict validation refuses text for a number, so
# take them as numbers, as YAML 1.2 does.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def _check_duplicates(loader: _Loader, node: yaml.MappingNode) -> None:
    """Refuse a key written twice in one mapping; keys brought in by a merge (``<<``) may be
    overridden, as the YAML merge-key rules intend."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, typing.Hashable):
            continue  # the base class reports unhashable keys
        line = key_node.start_mark.line + 1
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {_short(key)} (first at line {seen[key]})", key_node.start_mark)
        seen[key] = line


def _check_document(loader: _Loader, root: yaml.Node) -> None:
    """Refuse duplicate keys, recursive aliases and documents that expand to more than
    MAX_NODES nodes.

    Sizes are counted per distinct node (memoised), so the walk is linear in the text even when
    the expansion is exponential; it is iterative, so depth does not matter.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(size[id(c)] for c in _children(node))
            if total > MAX_NODES:
                raise yaml.composer.ComposerError(
                    None, None, f"the document expands to more than {MAX_NODES:,} values (aliases included)",
                    node.start_mark)
            size[key] = total
            continue
        if key in size:
            continue
        if key in on_path:
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to a node that contains it (a recursive structure)",
                node.start_mark)
        on_path.add(key)
        if isinstance(node, yaml.MappingNode):
            _check_duplicates(loader, node)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise yaml.composer.ComposerError(
                    None, None, "an alias refers to a node that contains it (a recursive structure)",
                    child.start_mark)
            if id(child) not in size:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_yaml(text: str) -> Any:
    """Parse one YAML document with the checks of this module.

    Parameters
    ----------
    text : str
        The document.

    Returns
    -------
    Any
        The parsed data (``None`` for an empty document).

    Raises
    ------
    YamlProblem
        One line: ``invalid YAML at line N: ...`` or ``YAML syntax error at line N, column C:
        ...``; ``document too large`` beyond :data:`MAX_CHARS`.
    """
    if len(text) > MAX_CHARS:
        raise YamlProblem(f"the document has {len(text):,} characters, more than the {MAX_CHARS:,} allowed")
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except (yaml.constructor.ConstructorError, yaml.composer.ComposerError) as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}" if mark else ""
        raise YamlProblem(f"invalid YAML{where}: {exc.problem}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        message = f"YAML syntax error{where}: {exc.problem or exc.context}"
        # The problem is often detected lines after its cause (an unclosed bracket is noticed at
        # the end of the file), so also point at the construct being parsed when it started.
        start = exc.context_mark
        if exc.problem and exc.context and start is not None and mark is not None and start.line != mark.line:
            message += f" ({exc.context} started at line {start.line + 1})"
        raise YamlProblem(message) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML syntax error: {exc}") from None
    except RecursionError:
        # Not reached with MAX_DEPTH far below the interpreter's limit; kept as a last guard.
        raise YamlProblem(f"invalid YAML: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        # The safe constructor's own int/float/timestamp conversions
        raise YamlProblem(f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
