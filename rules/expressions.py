"""The expression language of computed fields: a small, whitelisted arithmetic over form data.

Admins type expressions such as `sum(items.amount)` or `round(total * 0.06, 2)`; nothing they
type is ever given to Python's `eval`. An expression is parsed with `ast` and checked node by
node against a whitelist before simpleeval (itself restricted further here) evaluates it:

- numbers, text literals, field names, `table.column` (only inside `sum`, `min`, `max`, `count`);
- `+ - * / // %`, unary `- +`, comparisons, `and`/`or`/`not`, `x if cond else y`;
- the functions in `FUNCTIONS` and nothing else: no attribute access beyond `table.column`, no
  indexing, no lambdas, comprehensions, f-strings, keywords or `*args`.

Every number is a `Decimal` while an expression runs, so money adds up exactly (0.1 + 0.2 is
0.3); results come back as plain JSON numbers (an int when whole). An empty input propagates:
arithmetic on a missing value gives `None` (the computed field stays blank until its inputs are
filled) rather than an error, while genuinely bad values (division by zero, text in arithmetic, a
malformed date) raise `RuleError`.
"""
from __future__ import annotations

import ast
import datetime as _dt
import operator as _op
import threading
import warnings
from collections.abc import Callable, Iterator
from decimal import (ROUND_HALF_UP, Context, Decimal, DecimalException, InvalidOperation, Overflow,
                     localcontext)
from functools import lru_cache
from typing import Any

import simpleeval

from rules.errors import Problem, RuleError
from rules.messages import N_, joined, reason
from rules.words import word

MAX_EXPRESSION_LENGTH = 1000
MAX_TEXT_LENGTH = 10_000
MAX_DEPTH = 100
RMB_UPPER_LIMIT = Decimal("1000000000000")  # 大写 is written up to 9999亿

# Function name → (minimum, maximum) number of arguments; None means "any number".
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "round": (1, 2),
    "min": (1, None),
    "max": (1, None),
    "abs": (1, 1),
    "sum": (1, 1),
    "count": (1, 1),
    "days_between": (2, 2),
    "rmb_upper": (1, 1),
}
# Functions that take a whole column (`items.amount`) or, for count, a table (`items`).
AGGREGATES = ("sum", "min", "max", "count")
NUMERIC_TYPES = ("number", "money", "percent")

_BINOPS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
                            ast.FloorDiv: "//", ast.Mod: "%"}
_UNARYOPS: dict[type, str] = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}
_COMPAREOPS: dict[type, str] = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=",
                                ast.Gt: ">", ast.GtE: ">="}
_DESCRIBE: dict[type, str] = {
    ast.Lambda: "lambda", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.Subscript: "indexing", ast.JoinedStr: "f-strings", ast.NamedExpr: "assignment (:=)",
    ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets",
    ast.Starred: "*arguments", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
}
_OP_SYMBOLS: dict[type, str] = {ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
                                ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@",
                                ast.Invert: "~", ast.Is: "is", ast.IsNot: "is not",
                                ast.In: "in", ast.NotIn: "not in"}


# ---------------------------------------------------------------------------------------------
# Public API


def compute(expression: str, data: dict[str, Any]) -> Any:
    """Evaluate `expression` over form `data` (as `clean_submission` produces it).

    Returns an int, float, str, bool or None (None when an input the expression needs is
    empty). Raises RuleError for an expression outside the language or a bad value.
    """
    tree = _checked(expression) if isinstance(expression, str) else _parse(expression)
    evaluator = _evaluator_over(data if isinstance(data, dict) else {})
    try:
        with localcontext(_CONTEXT):
            return _plain(evaluator.eval(expression, previously_parsed=tree))
    except RuleError:
        raise
    except ZeroDivisionError as exc:  # decimal.DivisionByZero is one too
        raise RuleError(N_("division by zero in expression %(expression)s",
                           expression=repr(expression))) from exc
    except (DecimalException, ArithmeticError) as exc:
        raise RuleError(N_("cannot compute %(expression)s: %(exc)s",
                           expression=repr(expression), exc=_arithmetic_problem(exc))) from exc
    except (simpleeval.InvalidExpression, TypeError, ValueError) as exc:
        raise RuleError(N_("cannot compute %(expression)s: %(exc)s",
                           expression=repr(expression), exc=exc)) from exc


def validate_expression(expression: Any, field_types: dict[str, str], path: str) -> list[Problem]:
    """Every problem with `expression` given the fields it may use (`Form.field_types()` shape:
    `total` → money, `items` → table, `items.amount` → money). All problems sit at `path`."""
    if not isinstance(expression, str):
        return [Problem(path, N_("must be an expression (text)"))]
    try:
        tree = _parse(expression)
    except RuleError as exc:
        return [Problem(path, reason(exc))]
    messages = _check(tree, dict(field_types))
    if not messages:
        messages = _always_fails(tree)
    return [Problem(path, message) for message in messages]


def expression_fields(expression: str) -> set[str]:
    """The fields an expression reads, spelled as in `Form.field_types()`: `total`, `items` (a
    whole table, as in `count(items)`) or `items.amount` (a column). Raises RuleError when the
    expression does not parse."""
    return set(_fields(expression))


@lru_cache(maxsize=1024)
def _fields(expression: str) -> frozenset[str]:
    tree = _parse(expression)
    found: set[str] = set()
    for node, parent in _nodes(tree, None):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            found.add(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Name) and not _is_call_target(node, parent) \
                and not isinstance(parent, ast.Attribute):
            found.add(node.id)
    return frozenset(found)


def rmb_upper(amount: Any) -> str:
    """An amount of money in Chinese capitals (大写), as written on cheques and invoices:
    12000 → 壹万贰仟元整, 1234.56 → 壹仟贰佰叁拾肆元伍角陆分, 0.05 → 伍分."""
    value = _to_decimal(amount, "rmb_upper")
    value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(value) >= RMB_UPPER_LIMIT:
        raise RuleError(N_("rmb_upper: %(value)s is too large (the limit is 9999亿)", value=value))
    sign = "负" if value < 0 else ""
    cents = int(abs(value) * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    whole = _chinese_integer(yuan)
    if not jiao and not fen:
        return f"{sign}{whole or '零'}元整"
    text = f"{whole}元" if whole else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif whole:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    else:
        text += "整"
    return sign + text


# ---------------------------------------------------------------------------------------------
# Parsing and the whitelist check (shared by validation and evaluation)


@lru_cache(maxsize=1024)
def _checked(expression: str) -> ast.expr:
    """The parsed tree of an expression that passed the whitelist; computed fields repeat on
    every keystroke and submission, so each distinct expression is parsed and checked once."""
    tree = _parse(expression)
    messages = _check(tree, None)
    if messages:
        raise RuleError(N_("%(messages)s (in %(strip)s)",
                           messages=joined(messages), strip=repr(expression.strip())))
    return tree


def _parse(expression: Any) -> ast.expr:
    if not isinstance(expression, str):
        raise RuleError(N_("an expression must be text"))
    text = expression.strip()
    if not text:
        raise RuleError(N_("the expression is empty"))
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise RuleError(N_("the expression is longer than %(max_expression_length)s characters",
                           max_expression_length=MAX_EXPRESSION_LENGTH))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. an invalid escape: refuse, don't print
            tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise RuleError(N_("syntax error at column %(offset)s: %(msg)s", offset=exc.offset, msg=exc.msg)
                        if exc.offset else N_("syntax error: %(msg)s", msg=exc.msg)) from None
    except (ValueError, RecursionError, MemoryError, Warning) as exc:
        raise RuleError(N_("cannot parse the expression: %(exc)s", exc=exc)) from None
    if _depth(tree) > MAX_DEPTH:
        raise RuleError(N_("the expression is nested too deeply (at most %(max_depth)s levels)",
                           max_depth=MAX_DEPTH))
    return tree


def _nodes(node: ast.AST, parent: ast.AST | None) -> Iterator[tuple[ast.AST, ast.AST | None]]:
    """Every node with its parent, in document order (iteratively: trees can be deep)."""
    stack: list[tuple[ast.AST, ast.AST | None]] = [(node, parent)]
    while stack:
        current, above = stack.pop()
        yield current, above
        stack.extend((child, current) for child in reversed(list(ast.iter_child_nodes(current))))


def _depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _is_call_target(node: ast.AST, parent: ast.AST | None) -> bool:
    return isinstance(parent, ast.Call) and parent.func is node


def _aggregate_of(parent: ast.AST | None) -> str | None:
    """The aggregate function whose argument this node is directly, if any."""
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) \
            and parent.func.id in AGGREGATES:
        return parent.func.id
    return None


def _check(tree: ast.expr, field_types: dict[str, str] | None) -> list[str]:
    """Messages for every construct outside the language. With `field_types` None (at run
    time) names are not checked, only the shape of the expression."""
    messages: list[str] = []
    for node, parent in _nodes(tree, None):
        for message in _check_node(node, parent, field_types):
            if message not in messages:
                messages.append(message)
    return messages


def _check_node(node: ast.AST, parent: ast.AST | None,
                field_types: dict[str, str] | None) -> list[str]:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (bytes, complex)) or node.value is Ellipsis:
            return [N_("the literal %(value)s is not allowed", value=repr(node.value))]
        if isinstance(node.value, str) and len(node.value) > MAX_TEXT_LENGTH:
            return [N_("a text literal is too long")]
        return []
    if isinstance(node, ast.Name):
        return _check_name(node, parent, field_types)
    if isinstance(node, ast.Attribute):
        return _check_attribute(node, parent, field_types)
    if isinstance(node, ast.Call):
        return _check_call(node, field_types)
    if isinstance(node, ast.BinOp):
        return [] if type(node.op) in _BINOPS else [_operator_message(node.op)]
    if isinstance(node, ast.UnaryOp):
        return [] if type(node.op) in _UNARYOPS else [_operator_message(node.op)]
    if isinstance(node, ast.Compare):
        return [_operator_message(o) for o in node.ops if type(o) not in _COMPAREOPS]
    if isinstance(node, (ast.BoolOp, ast.IfExp, ast.Load, ast.operator, ast.unaryop,
                         ast.cmpop, ast.boolop)):
        return []
    if isinstance(node, ast.keyword):
        return []  # reported once, by the call
    what = _DESCRIBE.get(type(node), type(node).__name__)
    if what.endswith("s"):
        return [N_("%(what)s are not allowed", what=what)]
    return [N_("%(what)s is not allowed", what=what)]


def _operator_message(op: ast.AST) -> str:
    return N_('the operator "%(type)s" is not allowed', type=_OP_SYMBOLS.get(type(op), type(op).__name__))


def _check_name(node: ast.Name, parent: ast.AST | None,
                field_types: dict[str, str] | None) -> list[str]:
    if _is_call_target(node, parent):
        return []  # judged with its call
    if isinstance(parent, ast.Attribute):
        return []  # judged with the attribute
    if node.id.startswith("_"):
        return [N_('the name "%(id)s" is not allowed', id=node.id)]
    if field_types is None:
        return []
    if node.id in ("True", "False", "None"):
        return []
    if node.id not in field_types:
        if node.id in FUNCTIONS:
            return [N_('"%(id)s" is a function: call it, as in %(id)s(...)', id=node.id)]
        return [N_('unknown field "%(id)s"', id=node.id)]
    if field_types[node.id] == "table" and _aggregate_of(parent) != "count":
        return [N_('the table "%(id)s" can only be used as count(%(id)s) or through a column, as in '
                   "sum(%(id)s.column)", id=node.id)]
    return []


def _check_attribute(node: ast.Attribute, parent: ast.AST | None,
                     field_types: dict[str, str] | None) -> list[str]:
    if _is_call_target(node, parent):
        return []  # judged with its call
    if not isinstance(node.value, ast.Name) or node.attr.startswith("_") \
            or node.value.id.startswith("_"):
        return [N_("attribute access is not allowed; only table.column can be used")]
    name = f"{node.value.id}.{node.attr}"
    aggregate = _aggregate_of(parent)
    if field_types is not None:
        table_type = field_types.get(node.value.id)
        if table_type is None:
            return [N_('unknown field "%(id)s"', id=node.value.id)]
        if table_type != "table":
            return [N_('"%(id)s" is not a table; only table.column can use "."', id=node.value.id)]
        if name not in field_types:
            return [N_('unknown column "%(attr)s" in table "%(id)s"', attr=node.attr, id=node.value.id)]
        if aggregate in ("sum", "min", "max") and field_types[name] not in NUMERIC_TYPES:
            return [N_('%(aggregate)s() needs a number or money column; "%(name)s" is %(field_types)s',
                       aggregate=aggregate, name=name, field_types=word(field_types[name]))]
    if aggregate is None:
        return [N_('the column "%(name)s" can only be used inside sum(), min(), max() or count()', name=name)]
    return []


def _check_call(node: ast.Call, field_types: dict[str, str] | None) -> list[str]:
    if not isinstance(node.func, ast.Name):
        return [N_("calling methods or computed functions is not allowed")]
    name = node.func.id
    if name not in FUNCTIONS:
        return [N_('the function "%(name)s" is not allowed (allowed: %(functions)s)',
                   name=name, functions=", ".join(FUNCTIONS))]
    messages: list[str] = []
    if node.keywords:
        messages.append(N_("%(name)s() takes no keyword arguments", name=name))
    low, high = FUNCTIONS[name]
    count = len(node.args)
    if count < low or (high is not None and count > high):
        if low == high == 1:
            messages.append(N_("%(name)s() takes 1 argument, got %(count)s", name=name, count=count))
        elif low == high:
            messages.append(N_("%(name)s() takes %(low)s arguments, got %(count)s", name=name, low=low, count=count))
        elif high:
            messages.append(N_("%(name)s() takes %(low)s or %(high)s arguments, got %(count)s",
                               name=name, low=low, high=high, count=count))
        else:
            messages.append(N_("%(name)s() takes at least %(low)s arguments, got %(count)s",
                               name=name, low=low, count=count))
    if name in ("sum", "count") and count == 1:
        arg = node.args[0]
        allowed = isinstance(arg, ast.Attribute) or (name == "count" and isinstance(arg, ast.Name))
        if not allowed:
            messages.append(N_("%(name)s() takes a table or a column, as in %(name)s(items.amount)", name=name)
                            if name == "count" else
                            N_("%(name)s() takes a column, as in %(name)s(items.amount)", name=name))
    if field_types is not None and name == "count" and count == 1 \
            and isinstance(node.args[0], ast.Name) and node.args[0].id in field_types \
            and field_types[node.args[0].id] != "table":
        messages.append(N_('count() takes a table or a column; "%(id)s" is %(field_types)s',
                           id=node.args[0].id, field_types=word(field_types[node.args[0].id])))
    return messages


# ---------------------------------------------------------------------------------------------
# Evaluation


MAX_ROUND_DIGITS = 10
# Exponents beyond ±999 are never amounts; the trap turns them into an error, not a huge number.
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_UP, Emax=999, Emin=-999)


def _arithmetic_problem(exc: BaseException) -> str:
    """A person's reading of a decimal error (whose own text is "[<class 'decimal.…'>]")."""
    if isinstance(exc, Overflow):
        return N_("a number in it is too large")
    if isinstance(exc, InvalidOperation):
        return N_("its numbers are too large for this operation")
    return N_("the arithmetic is not possible")


def _always_fails(tree: ast.expr) -> list[str]:
    """What fails whatever the form holds: every part of `tree` that uses no field is evaluated
    (so `1/0`, `abs(-1e308) * 1e308` and `round(x, 100000000)` are refused when the form is
    saved, not at every start); parts that read fields are judged when they run."""
    messages: list[str] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        sample = _with_sample_operand(node)
        if sample is not None and (problem := _failure(sample)):
            messages.append(problem)
        if isinstance(node, ast.expr) and _is_constant(node):
            problem = _failure(node)
            if problem:
                messages.append(problem)
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return list(dict.fromkeys(messages))


def _with_sample_operand(node: ast.AST) -> ast.expr | None:
    """`round(x, 100000000)` as `round(1, 100000000)`, `x / 0` as `1 / 0`: a call or division
    whose constant part alone makes it fail, with its field-reading part replaced by 1."""
    one = ast.Constant(1)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "round" \
            and len(node.args) == 2 and _is_constant(node.args[1]):
        return ast.Call(func=node.func, args=[one, node.args[1]], keywords=[])
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)) \
            and _is_constant(node.right):
        return ast.BinOp(left=one, op=node.op, right=node.right)
    return None


def _is_constant(node: ast.AST) -> bool:
    """Whether `node` reads no field: only literals, operators and calls on such."""
    for child, parent in _nodes(node, None):
        if isinstance(child, ast.Attribute):
            return False
        if isinstance(child, ast.Name) and not _is_call_target(child, parent) \
                and child.id not in ("True", "False", "None"):
            return False
    return True


def _failure(node: ast.expr) -> str | None:
    text = ast.unparse(node)
    try:
        compute(text, {})
    except RuleError as exc:
        return reason(exc)
    return None


class _Column(list):
    """A table column's cells, as produced by `items.amount`; only aggregates accept it."""


class _Table(list):
    """A table's rows, as produced by `items`; only count() accepts it."""


def _to_decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise RuleError(N_("%(where)s: expected a number, got %(value)s", where=where, value=_describe(value)))
    if isinstance(value, float):
        value = Decimal(repr(value))
    value = Decimal(value)
    if not value.is_finite():
        raise RuleError(N_("%(where)s: expected a finite number, got %(value)s", where=where, value=value))
    return value


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, (_Column, _Table, list)):
        return "a list"
    return type(value).__name__


def _number_in(value: Any) -> Any:
    """Data values as the evaluator sees them: numbers become Decimal."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return _to_decimal(value, "value")
    if isinstance(value, list):
        return _Table(value)
    return value


def _plain(value: Any) -> Any:
    """A result as plain JSON data: Decimal → int when whole, else float."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)  # not whole, so below 1e28 (the precision): always a finite float
    if isinstance(value, (_Column, _Table)):
        raise RuleError(N_("an expression must give one value, not a list"))
    return value


def _arith(symbol: str, fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        if symbol == "+" and isinstance(a, str) and isinstance(b, str):
            if len(a) + len(b) > MAX_TEXT_LENGTH:
                raise RuleError(N_("the text would be too long"))
            return a + b
        divisor = _to_decimal(b, f'"{symbol}"')
        if symbol in ("/", "//", "%") and divisor == 0:
            raise ZeroDivisionError(symbol)  # decimal calls 0/0 and 1 % 0 "invalid operations"
        return fn(_to_decimal(a, f'"{symbol}"'), divisor)
    return apply


def _compare(symbol: str, fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if symbol in ("==", "!="):
            return fn(a, b)
        if a is None or b is None:
            return None
        if isinstance(a, str) and isinstance(b, str):
            return fn(a, b)
        return fn(_to_decimal(a, f'"{symbol}"'), _to_decimal(b, f'"{symbol}"'))
    return apply


def _negate(a: Any) -> Any:
    return None if a is None else -_to_decimal(a, '"-"')


def _positive(a: Any) -> Any:
    return None if a is None else +_to_decimal(a, '"+"')


_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: _arith("+", _op.add), ast.Sub: _arith("-", _op.sub),
    ast.Mult: _arith("*", _op.mul), ast.Div: _arith("/", _op.truediv),
    ast.FloorDiv: _arith("//", _op.floordiv), ast.Mod: _arith("%", _op.mod),
    ast.Eq: _compare("==", _op.eq), ast.NotEq: _compare("!=", _op.ne),
    ast.Lt: _compare("<", _op.lt), ast.LtE: _compare("<=", _op.le),
    ast.Gt: _compare(">", _op.gt), ast.GtE: _compare(">=", _op.ge),
    ast.USub: _negate, ast.UAdd: _positive, ast.Not: _op.not_,
}


def _cells(values: Any, where: str) -> list[Decimal]:
    return [_to_decimal(v, where) for v in values if v is not None and v != ""]


def _fn_round(value: Any, digits: Any = 0) -> Any:
    if value is None:
        return None
    places = _to_decimal(digits, "round")
    if places != places.to_integral_value() or not 0 <= places <= MAX_ROUND_DIGITS:
        raise RuleError(N_("round: the number of digits must be a whole number from 0 to %(max_round_digits)s",
                           max_round_digits=MAX_ROUND_DIGITS))
    try:
        return _to_decimal(value, "round").quantize(Decimal(1).scaleb(-int(places)),
                                                    rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise RuleError(N_("round: the number is too large to round to %(places)s digits",
                           places=int(places))) from None


def _extreme(pick: Callable[..., Any], name: str) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        values = list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)
        numbers = _cells(values, name)
        return pick(numbers) if numbers else None
    return apply


def _fn_abs(value: Any) -> Any:
    return None if value is None else abs(_to_decimal(value, "abs"))


def _fn_sum(column: Any) -> Decimal:
    if not isinstance(column, _Column):
        raise RuleError(N_("sum() takes a column, as in sum(items.amount)"))
    return sum(_cells(column, "sum"), Decimal(0))


def _fn_count(values: Any) -> Decimal:
    if isinstance(values, _Table):
        return Decimal(len(values))
    if isinstance(values, _Column):
        return Decimal(sum(1 for v in values if v is not None and v != ""))
    raise RuleError(N_("count() takes a table or a column"))


def _fn_days_between(start: Any, end: Any) -> Any:
    if start is None or end is None:
        return None
    return Decimal((_date(end) - _date(start)).days)


def _date(value: Any) -> _dt.date:
    if isinstance(value, str) and len(value) == 10:
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise RuleError(N_("days_between: expected a date (YYYY-MM-DD), got %(value)s", value=_describe(value)))


def _fn_rmb_upper(value: Any) -> Any:
    return None if value is None else rmb_upper(value)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "round": _fn_round, "min": _extreme(min, "min"), "max": _extreme(max, "max"),
    "abs": _fn_abs, "sum": _fn_sum, "count": _fn_count,
    "days_between": _fn_days_between, "rmb_upper": _fn_rmb_upper,
}


_per_thread = threading.local()


def _evaluator_over(data: dict[str, Any]) -> _Evaluator:
    """This thread's evaluator, pointed at `data`: setting one up costs more than most
    evaluations, and computed fields are evaluated on every keystroke."""
    evaluator = getattr(_per_thread, "evaluator", None)
    if evaluator is None:
        evaluator = _per_thread.evaluator = _Evaluator()
    evaluator._data = data
    return evaluator


class _Evaluator(simpleeval.SimpleEval):
    """simpleeval with only the node types the whitelist admits, Decimal numbers, our
    functions, and `table.column` resolved from the data instead of Python attributes."""

    def __init__(self) -> None:
        super().__init__(operators=dict(_OPERATORS), functions=dict(_FUNCTIONS),
                         names=self._lookup)
        self._data: dict[str, Any] = {}
        allowed = (ast.Name, ast.UnaryOp, ast.BinOp, ast.BoolOp, ast.Compare, ast.IfExp,
                   ast.Call, ast.Attribute, ast.Constant)
        self.nodes = {kind: handler for kind, handler in self.nodes.items() if kind in allowed}
        self.nodes[ast.Attribute] = self._column

    def _lookup(self, node: ast.Name) -> Any:
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        return _number_in(self._data.get(node.id))

    def _column(self, node: ast.Attribute) -> _Column:
        assert isinstance(node.value, ast.Name)
        rows = self._data.get(node.value.id)
        if rows is None:
            return _Column()
        if not isinstance(rows, list):
            raise RuleError(N_('"%(id)s" is not a table', id=node.value.id))
        return _Column(row.get(node.attr) if isinstance(row, dict) else None for row in rows)

    def _eval_constant(self, node: ast.Constant) -> Any:  # type: ignore[override]
        return _number_in(super()._eval_constant(node))

    def _eval_call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)
        return self.functions[node.func.id](*(self._eval(a) for a in node.args))


# ---------------------------------------------------------------------------------------------
# 大写 (Chinese capital numerals for money)

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_GROUP_UNITS = ("", "万", "亿")


def _chinese_group(number: int) -> str:
    """1..9999 in capitals, with one 零 for any run of inner zeros and none at the end."""
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = number // 10 ** position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + _SMALL_UNITS[position]
    return text


def _chinese_integer(number: int) -> str:
    groups: list[int] = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    text, zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero = bool(text)
            continue
        if text and (zero or group < 1000):
            text += "零"
        text += _chinese_group(group) + _GROUP_UNITS[index]
        zero = False
    return text
