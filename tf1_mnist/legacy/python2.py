"""Python 2 scripts, converted in memory for the few idioms MNIST tutorials use.

Many TF 0.x posts are Python 2: ``print "step", i``, ``xrange``, ``except E, e``.  The
standard library's tokenizer reads such source (Python 3's grammar rejects it, its tokenizer
does not), so the conversion edits tokens and never reparses text: the print statement in all
its forms (``print``, ``print x,``, ``print >>f, x``), ``exec "code"``, ``xrange``,
``raw_input``, ``dict.iteritems()`` and friends, ``except E, e:``, ``<>`` and ``0777``; and
indentation mixing tabs and spaces, which Python 2 read with a tab as 8 columns and Python 3
refuses (``expand_tabs``).
Every edit stays on its line, so tracebacks and messages name the file's own line numbers.
``/`` keeps Python 2's meaning, which 2to3 does not: between two ints it floors
(``xrange(mnist.train.num_examples / 100)``), otherwise it divides (``compile_converted``).
The result must compile; if it does not (backticks, a print the rules do not cover), the
runner keeps its message asking for ``2to3``.  The file on disk is never touched.
"""

from __future__ import annotations

import ast
import collections
import io
import numbers
import re
import sys
import tokenize
from collections.abc import Iterator
from typing import Any

RENAMED = {"xrange": "range", "raw_input": "input"}
RENAMED_METHODS = {"iteritems": "items", "itervalues": "values", "iterkeys": "keys"}
_STATEMENT_START = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT}


def convert(source: str) -> tuple[str, collections.Counter]:
    """Python 3 source for Python 2 ``source`` (same lines) and a count of each kind of edit.

    Two passes over the tokens: single-token renames first, then the print and exec
    statements (whose arguments may contain renamed tokens).  Raises ``tokenize.TokenError``
    or ``SyntaxError`` when the source cannot be tokenized.
    """
    done: collections.Counter = collections.Counter()
    source, expanded = expand_tabs(source)
    if expanded:
        done["tabs in indentation -> 8 columns"] += expanded
    source = _apply(source, _token_edits(_tokens(source), done))
    source = _apply(source, _statement_edits(_tokens(source), source, done))
    return source, done


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(source).readline))


def _token_edits(tokens: list, done: collections.Counter) -> list:
    edits = []
    for i, tok in enumerate(tokens):
        previous = tokens[i - 1] if i else None
        after_dot = previous is not None and previous.string == "."
        if tok.type == tokenize.NAME and tok.string in RENAMED and not after_dot:
            edits.append((tok.start, tok.end, RENAMED[tok.string]))
            done[f"{tok.string} -> {RENAMED[tok.string]}"] += 1
        elif tok.type == tokenize.NAME and tok.string in RENAMED_METHODS and after_dot:
            edits.append((tok.start, tok.end, RENAMED_METHODS[tok.string]))
            done[f".{tok.string}() -> .{RENAMED_METHODS[tok.string]}()"] += 1
        elif tok.type == tokenize.NAME and tok.string == "except":
            comma = _except_comma(tokens, i)
            if comma is not None:
                edits.append((comma.start, comma.end, " as"))
                done["except E, e -> except E as e"] += 1
        elif tok.string == "<" and _adjacent(tok, tokens, i, ">"):  # Python 3 reads "<", ">"
            edits.append((tok.start, tokens[i + 1].end, "!="))
            done["<> -> !="] += 1
        elif tok.string == "0" and _adjacent(tok, tokens, i, r"[0-7]+[lL]?"):  # "0", "777"
            octal = tokens[i + 1].string.rstrip("lL")
            edits.append((tok.start, tokens[i + 1].end, "0o" + octal))
            done["octal 0777 -> 0o777"] += 1
        elif tok.type == tokenize.NUMBER and _adjacent(tok, tokens, i, "[lL]"):  # "10", "L"
            edits.append((tokens[i + 1].start, tokens[i + 1].end, ""))
            done["long 10L -> 10"] += 1
    return edits


def _adjacent(tok: tokenize.TokenInfo, tokens: list, i: int, pattern: str) -> bool:
    """The next token matches ``pattern`` and touches ``tok`` (no space between them)."""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    return nxt is not None and nxt.start == tok.end and re.fullmatch(pattern, nxt.string)


def _statement_edits(tokens: list, source: str, done: collections.Counter) -> list:
    lines = source.splitlines(keepends=True)
    edits = []
    for i, tok in enumerate(tokens):
        if tok.type != tokenize.NAME or tok.string not in ("print", "exec"):
            continue
        previous = next((t for t in reversed(tokens[:i]) if t.type != tokenize.COMMENT), None)
        at_statement_start = previous is None or (
            previous.type in _STATEMENT_START or previous.string in (":", ";")
        )
        if at_statement_start and not _is_call(tokens, i):
            edits += _statement_as_call(tokens, i, lines)
            done[f"{tok.string} statement"] += 1
    return edits


def _nesting(tokens: list, start: int) -> Iterator[tuple[int, tokenize.TokenInfo, int]]:
    """``(index, token, depth)`` from ``start`` on: the brackets open around each token (a
    closing bracket already closed, an opening one not yet open)."""
    depth = 0
    for j in range(start, len(tokens)):
        tok = tokens[j]
        if tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        yield j, tok, depth
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1


_STATEMENT_END = {tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER}


def _is_call(tokens: list, i: int) -> bool:
    """``print(...)`` whose parenthesis closes the statement: valid Python 3 already."""
    if i + 1 >= len(tokens) or tokens[i + 1].string != "(":
        return False
    for j, tok, depth in _nesting(tokens, i + 1):
        if depth == 0 and tok.string == ")":
            nxt = tokens[j + 1] if j + 1 < len(tokens) else None
            return nxt is None or nxt.string == ";" or nxt.type in _STATEMENT_END
    return False


def _statement_end(tokens: list, i: int) -> int:
    """Index of the token that ends the simple statement starting after ``tokens[i]``."""
    for j, tok, depth in _nesting(tokens, i + 1):
        if depth == 0 and (tok.type in _STATEMENT_END or tok.string == ";"):
            return j
    return len(tokens) - 1


def _source(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    (srow, scol), (erow, ecol) = start, end
    if srow == erow:
        return lines[srow - 1][scol:ecol]
    middle = "".join(lines[srow : erow - 1])
    return lines[srow - 1][scol:] + middle + lines[erow - 1][:ecol]


def _statement_as_call(tokens: list, i: int, lines: list[str]) -> list:
    """Edits turning ``print a, b,`` / ``print >>f, a`` / ``print`` / ``exec code`` into
    calls: one edit replacing the statement when it is on one line; on several lines only
    the plain form (parentheses around the whole), to keep every line where it was."""
    keyword = tokens[i]
    stop = _statement_end(tokens, i)
    body = tokens[i + 1 : stop]
    end = tokens[stop - 1].end  # the keyword's own end for a bare `print`
    extras = []
    if keyword.string == "print" and len(body) >= 2 and body[0].string == ">>":
        comma = next((k for k, t in enumerate(body) if t.string == "," and k > 1), len(body))
        extras.append("file=" + _source(lines, body[1].start, body[comma - 1].end))
        body = body[comma + 1 :]
    if keyword.string == "print" and body and body[-1].string == ",":
        extras.insert(0, 'end=" "')
        body = body[:-1]
    args = _source(lines, body[0].start, body[-1].end) if body else ""
    if keyword.start[0] == end[0]:
        call = f"{keyword.string}({', '.join(a for a in (args, *extras) if a)})"
        return [(keyword.start, end, call)]
    if extras:  # a multi-line print with >> or a trailing comma: left for the message
        return []
    return [(keyword.end, body[0].start, "("), (body[-1].end, body[-1].end, ")")]


def _except_comma(tokens: list, i: int) -> tokenize.TokenInfo | None:
    """The comma of ``except E, e:`` (not of ``except (A, B):``)."""
    for j, tok, depth in _nesting(tokens, i + 1):
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or (depth == 0 and tok.string == ":"):
            return None
        if depth == 0 and tok.string == ",":
            after = tokens[j + 1 : j + 3]
            if len(after) == 2 and after[0].type == tokenize.NAME and after[1].string == ":":
                return tok
            return None
    return None


def _apply(source: str, edits: list) -> str:
    """Apply non-overlapping (start, end, text) edits, right to left so that the positions
    of the edits still to come stay valid."""
    lines = source.splitlines(keepends=True)
    for (srow, scol), (erow, ecol), text in sorted(edits, reverse=True):
        head = lines[srow - 1][:scol]
        tail = lines[erow - 1][ecol:]
        lines[srow - 1 : erow] = [head + text + tail] + ["\n"] * (erow - srow)
    return "".join(lines)


# --------------------------------------------------------------------------- indentation

_INDENT = re.compile(r"[ \t]*")


def expand_tabs(source: str) -> tuple[str, int]:
    """``source`` with the tabs of its indentation expanded as Python 2 read them (to the next
    multiple of 8 columns: ``str.expandtabs(8)``), and how many lines changed.

    Only when the indentation mixes tabs and spaces (Python 3 reads a file indented with tabs
    alone the same way).  Lines inside a multi-line string keep their text: it is data.
    """
    lines = source.splitlines(keepends=True)
    indents = [_INDENT.match(line).group() for line in lines]
    used = "".join(indents)
    if "\t" not in used or " " not in used:
        return source, 0
    expanded = "".join(
        indent.expandtabs(8) + line[len(indent) :]
        for indent, line in zip(indents, lines, strict=True)
    )
    in_strings = _rows_inside_strings(expanded)
    changed = 0
    for row, indent in enumerate(indents, start=1):
        if "\t" in indent and row not in in_strings:
            lines[row - 1] = indent.expandtabs(8) + lines[row - 1][len(indent) :]
            changed += 1
    return "".join(lines), changed


def _rows_inside_strings(source: str) -> set[int]:
    """Rows (1-based) that begin inside a string token that started on an earlier row.

    Tokenized after expansion: the same rows and strings, and a tokenizer that checks tabs
    (Python 3.12's) accepts it.  If it cannot be tokenized, no row is kept as it was.
    """
    try:
        tokens = _tokens(source)
    except (SyntaxError, tokenize.TokenError):
        return set()
    return {
        row
        for tok in tokens
        if tok.type == tokenize.STRING
        for row in range(tok.start[0] + 1, tok.end[0] + 1)
    }


def mixes_tabs(source: str) -> bool:
    """The indentation of ``source`` mixes tabs and spaces (what ``2to3`` leaves as it is)."""
    return expand_tabs(source)[1] > 0


# ------------------------------------------------------------------------- Python 2's "/"

DIVISION_HELPER = "__py2_div__"


def py2_div(a: Any, b: Any) -> Any:
    """``a / b`` as Python 2 computed it: floor division when both are integers (Python's,
    NumPy's scalars and integer arrays), true division otherwise (floats, tensors)."""
    if _integral(a) and _integral(b):
        return a // b
    return a / b


def _integral(value: Any) -> bool:
    if isinstance(value, numbers.Integral):  # bool and NumPy's integer scalars too
        return True
    np = sys.modules.get("numpy")  # no NumPy imported: no NumPy array to look at
    return np is not None and isinstance(value, np.ndarray) and value.dtype.kind in "iub"


class IntDivision(ast.NodeTransformer):
    """``a / b`` -> ``__py2_div__(a, b)`` and ``x /= b`` -> ``x = __py2_div__(x, b)``, each
    node keeping its line, so tracebacks still name the source's lines."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.op, ast.Div):
            return node
        call = ast.Call(ast.Name(DIVISION_HELPER, ast.Load()), [node.left, node.right], [])
        return ast.copy_location(call, node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.op, ast.Div) or not isinstance(
            node.target, (ast.Name, ast.Attribute, ast.Subscript)
        ):
            return node
        read = _as_load(node.target)
        call = ast.Call(ast.Name(DIVISION_HELPER, ast.Load()), [read, node.value], [])
        return ast.copy_location(ast.Assign([node.target], ast.copy_location(call, node)), node)


def _as_load(target: ast.expr) -> ast.expr:
    """A copy of an assignment target that reads it."""
    copy = ast.parse(ast.unparse(target), mode="eval").body
    for new, old in zip(ast.walk(copy), ast.walk(target), strict=False):
        if hasattr(old, "lineno"):
            ast.copy_location(new, old)
    return copy


def future_division(tree: ast.Module) -> bool:
    """``from __future__ import division``: Python 2 code that already divides truly."""
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "division" for alias in node.names)
        for node in tree.body
    )


def floor_int_division(tree: ast.Module) -> ast.Module:
    """``tree`` with Python 2's ``/``, importing the helper it calls after the module's
    docstring and ``__future__`` imports (so the code runs in any namespace)."""
    if future_division(tree):
        return tree
    IntDivision().visit(tree)
    position = 0
    for position, node in enumerate(tree.body):  # noqa: B007 (the position is the result)
        docstring = (
            position == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
    else:
        position = len(tree.body)
    helper = ast.ImportFrom("tf1_mnist.legacy.python2", [ast.alias("py2_div", DIVISION_HELPER)], 0)
    tree.body.insert(position, helper)
    return ast.fix_missing_locations(tree)


def compile_converted(source: str, filename: str) -> Any:
    """The code object of converted Python 2 ``source``, ``/`` keeping Python 2's meaning."""
    tree = ast.parse(source, filename)
    return compile(floor_int_division(tree), filename, "exec", dont_inherit=True)
