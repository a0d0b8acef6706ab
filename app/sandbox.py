"""The sandbox reply texts run in: which template constructs they may use, and a budget.

Managers write reply texts, so a text is hostile until proven otherwise. Two fences:

1. At parse time (every compile, so every save, `kefu check`, preview and serve goes
   through it) only the constructs a reply needs are accepted: text, variables and
   attributes, whitelisted filters, tests, `if`/`elif`/`else` and plain arithmetic.
   Loops, macros, calls, assignments, includes, imports, literals of lists and dicts and
   `**` are refused, naming the construct and its line. Without loops, calls or
   recursion, a render does work linear in the text's length.
2. At render time, what arithmetic can still build is bounded: a text or list multiplied
   beyond `MAX_REPLY_CHARS`, integers beyond `MAX_INT_BITS` and `%` on text (format
   strings) raise `RenderRefused`, and so does a reply longer than `MAX_REPLY_CHARS`.

`docs/library.md` lists the whitelist for managers; `docs/security.md` says how it is tested.
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Callable, Container, Iterable
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

# A chat reply is a few hundred characters; ten thousand is far beyond any real one.
MAX_REPLY_CHARS = 10_000
MAX_INT_BITS = 128  # about 38 decimal digits: more than any price or quantity
# Real replies nest about ten nodes deep (an `if` around a filtered attribute); deeper
# nesting only serves to exhaust the parser's or the compiler's recursion.
MAX_NESTING = 32

# What a reply text may contain, node by node (jinja2.nodes); anything else is refused.
ALLOWED_NODES: dict[type[nodes.Node], str] = {
    nodes.Template: "text",
    nodes.Output: "text",
    nodes.TemplateData: "text",
    nodes.Const: "a constant",
    nodes.Name: "a variable",
    nodes.Getattr: "an attribute (`shop.name`)",
    nodes.Getitem: "an item (`shop['name']`, `order_id[-4:]`)",
    nodes.Slice: "a slice",
    nodes.Filter: "a filter",
    nodes.Test: "a test (`is defined`)",
    nodes.Keyword: "a keyword argument of a filter",
    nodes.If: "`{% if %}`",
    nodes.CondExpr: "`x if y else z`",
    nodes.And: "`and`",
    nodes.Or: "`or`",
    nodes.Not: "`not`",
    nodes.Compare: "a comparison",
    nodes.Operand: "a comparison",
    nodes.Concat: "`~`",
    nodes.Add: "`+`",
    nodes.Sub: "`-`",
    nodes.Mul: "`*`",
    nodes.Div: "`/`",
    nodes.FloorDiv: "`//`",
    nodes.Mod: "`%`",
    nodes.Neg: "unary `-`",
    nodes.Pos: "unary `+`",
}

# How a refused construct is named to the manager.
REFUSED_NAMES: dict[type[nodes.Node], str] = {
    nodes.For: "`{% for %}` loops",
    nodes.Macro: "`{% macro %}`",
    nodes.CallBlock: "`{% call %}` blocks",
    nodes.Call: "calls like `name(...)` or `.method(...)`",
    nodes.Include: "`{% include %}`",
    nodes.Import: "`{% import %}`",
    nodes.FromImport: "`{% from … import %}`",
    nodes.Extends: "`{% extends %}`",
    nodes.Block: "`{% block %}`",
    nodes.Assign: "`{% set %}`",
    nodes.AssignBlock: "`{% set %}` blocks",
    nodes.FilterBlock: "`{% filter %}` blocks",
    nodes.With: "`{% with %}`",
    nodes.Pow: "`**`",
    nodes.List: "list literals `[...]`",
    nodes.Tuple: "tuple literals `(a, b)`",
    nodes.Dict: "dict literals `{...}`",
    nodes.NSRef: "namespace assignments",
}

# Filters a reply may use: kefu's Babel filters (added by `rendering.make_environment`)
# and plain text ones whose cost is linear in their input. `format`, `center`, `indent`,
# `replace`, `join`, `attr`, `map` and the like are left out: each can build huge text
# from a short template or reach attributes.
PLAIN_FILTERS = (
    "upper",
    "lower",
    "title",
    "capitalize",
    "trim",
    "default",
    "d",
    "round",
    "int",
    "string",
    "truncate",
    "abs",
    "length",
    "wordcount",
)

# Names Jinja gives meaning to; a reply reads only its declared variables and `shop`.
RESERVED_NAMES = frozenset({"self", "loop", "caller", "varargs", "kwargs", "super"})


class RefusedConstruct(TemplateSyntaxError):
    """A reply text uses a template construct replies may not use."""


class RenderRefused(SecurityError):
    """A render went over the budget (too long a reply, too large a value)."""


def _refusal(node: nodes.Node, filters: Container[str]) -> str | None:
    kind = type(node)
    if kind not in ALLOWED_NODES:
        what = REFUSED_NAMES.get(kind, f"`{kind.__name__}`")
        return f"{what} are not allowed in reply texts"
    if isinstance(node, nodes.Name):
        if node.ctx != "load" or node.name in RESERVED_NAMES or node.name.startswith("_"):
            return f"the name {node.name!r} is not allowed in reply texts"
    elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        return f"the attribute {node.attr!r} is not allowed (names starting with _ are private)"
    elif (
        isinstance(node, nodes.Getitem)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
        and node.arg.value.startswith("_")
    ):
        return f"the item {node.arg.value!r} is not allowed (names starting with _ are private)"
    elif isinstance(node, nodes.Filter) and node.name not in filters:
        return f"the filter {node.name!r} is not allowed in reply texts"
    elif isinstance(node, nodes.Filter | nodes.Test) and (node.dyn_args or node.dyn_kwargs):
        return "`*args` and `**kwargs` are not allowed in reply texts"
    elif isinstance(node, nodes.Const) and isinstance(node.value, int) and not isinstance(
        node.value, bool
    ):
        if node.value.bit_length() > MAX_INT_BITS:
            return f"the number {node.value} is too large"
    return None


def check_constructs(
    tree: nodes.Template, filters: Container[str], source: str | None = None
) -> None:
    """Raise `RefusedConstruct` at the first node a reply text may not use."""
    # Breadth first, so the outermost construct is the one named; iterative, so a hostile
    # tree cannot exhaust our own recursion.
    pending: deque[tuple[nodes.Node, int]] = deque([(tree, 0)])
    while pending:
        node, depth = pending.popleft()
        problem = _refusal(node, filters)
        if problem is None and depth > MAX_NESTING:
            problem = f"the text nests more than {MAX_NESTING} levels deep"
        if problem is not None:
            raise _refused(problem, node.lineno or 1, source)
        pending.extend((child, depth + 1) for child in node.iter_child_nodes())


def _refused(problem: str, lineno: int, source: str | None) -> RefusedConstruct:
    refused = RefusedConstruct(problem, lineno)
    refused.source = source
    return refused


def loaded_names(tree: nodes.Template) -> set[str]:
    """Every variable a checked reply text reads (it has no assignments or loops)."""
    return {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"}


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _bounded_mul(left: Any, right: Any) -> Any:
    for seq, times in ((left, right), (right, left)):
        size = _size(seq)
        if size is not None and isinstance(times, int) and size * times > MAX_REPLY_CHARS:
            raise RenderRefused(
                f"multiplying a text builds more than {MAX_REPLY_CHARS} characters"
            )
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise RenderRefused("a number in the reply grows too large")
    return operator.mul(left, right)


def _bounded_mod(left: Any, right: Any) -> Any:
    if isinstance(left, str | bytes):
        raise RenderRefused("`%` formatting of text is not allowed in reply texts")
    return operator.mod(left, right)


def _refused_pow(left: Any, right: Any) -> Any:
    raise RenderRefused("`**` is not allowed in reply texts")


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": _bounded_mul,
    "%": _bounded_mod,
    "**": _refused_pow,
}


class ReplyEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the construct whitelist and the render budget."""

    intercepted_binops = frozenset(_BINOPS)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # No globals: `range`, `lipsum`, `cycler`, `joiner`, `namespace`, `dict` are gone.
        self.globals.clear()
        self.filters = {name: self.filters[name] for name in PLAIN_FILTERS}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        try:
            tree = super()._parse(source, name, filename)
        except RecursionError:
            raise _refused(
                f"the text nests more than {MAX_NESTING} levels deep", 1, source
            ) from None
        check_constructs(tree, self.filters, source)
        return tree

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # Calls are refused, so a method is of no use to a reply; printing one would only
        # show the server's memory addresses.
        return not callable(value) and super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return _BINOPS[operator](left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        # Unreachable for checked texts (calls are refused at parse time): kept as a fence.
        raise RenderRefused("calls are not allowed in reply texts")


def bounded_join(chunks: Iterable[str], limit: int = MAX_REPLY_CHARS) -> str:
    """Join a render's output, refusing it once it passes `limit` characters."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise RenderRefused(f"the reply is longer than {limit} characters")
        parts.append(chunk)
    return "".join(parts)
