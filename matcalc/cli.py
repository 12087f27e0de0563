"""The command line: ``matcalc grad "tr(A X^-1 B)" --wrt X`` and friends.

Commands:

    grad   gradient G with df = <G, dX> (several variables: --wrt W,b)
    hess   Hessian (a matrix for a vector variable; H[dX] and its vec form otherwise;
           several variables: the blocks H[x, y])
    jac    Jacobian (dF = J dx; dX -> dF and its vec form for matrices; several variables:
           one per variable)
    deriv  derivative of order --order with respect to a scalar (--shape "t scalar")
    diff   the differential df = <G, dX>
    check  is --answer the gradient (or --kind hessian) of the expression?
    problems  solve and verify the seminar problem set, print a table

The expression is read from stdin when it is not given (or given as "-"):
each line is its own expression, and the results follow in the same order
(blocks of several lines separated by a blank line). A derivative of an
expression that does not contain the variable is 0, with a note on stderr.
Every computation stops at the time limit (--timeout SECONDS, default
matcalc.deadline.DEFAULT_LIMIT; MATCALC_TIMEOUT). Exit codes: 0 success;
1 a wrong answer (an ill-shaped one too), a failed verification or a failing
problem; 2 bad input (the message points at the column with a caret, and
suggests the --shape that fixes a letter read as a vector) or the time limit
reached; 3 an internal error of matcalc (please report it). A closed standard
output (matcalc problems | head) ends the command quietly.

--numpy and --jax print a module instead of the result (the result is its
docstring): matcalc grad "tr(A X^-1 B)" --wrt X --numpy > g.py.
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import re
import sys
import textwrap
import time

from .deadline import DEFAULT_LIMIT
from .errors import MatcalcError, ShapeError

import matcalc as mc

from . import problems as P
from .api.results import Gradients, HessianBlock, Hessians, Jacobian
from .api.steps import latex_derivation
from .api.modules import COMPILED, compiled_module, results_module
from .backends.code import BACKENDS, is_matrix
from .backends.printing import text
from .deadline import set_time_limit
from .ir.expr import Symbol
from .ir.traverse import free_symbols

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

ASSUMPTION_HELP = "symmetric, spd, diagonal or orthogonal"


class UsageError(MatcalcError):
    """Bad command-line input that the engine never sees (a malformed --shape, ...)."""


# ---- option values ----------------------------------------------------------------------

def parse_shape(spec: str) -> tuple[str, object]:
    """'t scalar' -> ('t', 'scalar'); 'x n' -> ('x', 'n'); 'A m n' (or 'A: m x n',
    'A 3 4') -> ('A', ('m', 'n'))."""
    tokens = [t for t in re.split(r"[\s,:=()]+", spec.strip()) if t]
    if len(tokens) == 4 and tokens[2] in ("x", "X", "×", "by"):
        tokens = [tokens[0], tokens[1], tokens[3]]
    if len(tokens) not in (2, 3) or not re.fullmatch(r"[A-Za-z\\][\w\\{}]*", tokens[0]):
        raise UsageError(f"--shape {spec!r}: write a name and its shape, e.g. "
                         "'t scalar', 'x vector', 'x n', 'A matrix' or 'A m n'")
    name, dims = tokens[0], [int(t) if t.isascii() and t.isdigit() else t for t in tokens[1:]]
    if len(dims) == 1:
        return name, dims[0]
    if any(d in ("scalar", "vector", "matrix") for d in dims):
        raise UsageError(f"--shape {spec!r}: give either a kind (scalar, vector, matrix) "
                         "or dimensions (A m n), not both")
    return name, tuple(dims)


def parse_assumption(spec: str) -> dict:
    """'A symmetric' (also 'A: spd', 'A=spd', 'A,B symmetric') -> {'A': 'symmetric'}."""
    tokens = [t for t in re.split(r"[\s:=]+", spec.strip()) if t]
    names = [n for t in tokens[:-1] for n in t.split(",") if n]
    if len(tokens) < 2 or not names:
        raise UsageError(f"--assume {spec!r}: write a name and what it is, e.g. "
                         f"'A symmetric' ({ASSUMPTION_HELP})")
    return {name: tokens[-1] for name in names}


def parse_timeout(spec: str) -> float | None:
    """'30' -> 30.0 seconds; 'none' -> None (no limit)."""
    if spec.strip().lower() == "none":
        return None
    try:
        seconds = float(spec)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise UsageError(f"--timeout {spec.strip()!r}: give a positive number of seconds, "
                         "or none for no limit")
    return seconds


def _options(args) -> dict:
    shapes = dict(parse_shape(s) for s in args.shape or [])
    assume = {}
    for a in args.assume or []:
        assume.update(parse_assumption(a))
    return {"shapes": shapes or None, "assume": assume or None}


def _expressions(args, stdin) -> list[tuple[int | None, str]]:
    """(line number, text) of each expression: the argument, or each non-blank line of stdin."""
    text = args.expression
    found: list[tuple[int | None, str]]
    if text is not None and text != "-":
        found = [(None, text.strip())] if text.strip() else []
    elif stdin is None or (text is None and _isatty(stdin)):
        raise UsageError("no expression: give it as an argument, e.g. "
                         "matcalc grad \"tr(A X)\" --wrt X, or on stdin")
    else:
        found = [(k, line.strip()) for k, line in enumerate(stdin.read().split("\n"), 1)
                 if line.strip()]
    if not found:
        raise UsageError("the expression is empty")
    return found


def _each(args, stdin, run, single: str | None = None) -> int:
    """run(text, out) for each expression: it appends the lines to print to out and returns
    the exit code. The output follows in order; an error on one line of stdin is reported
    with its line number after what that line printed, and the other lines go on. single:
    the message of the UsageError for more than one expression, where only one may be given."""
    expressions = _expressions(args, stdin)
    several = len(expressions) > 1
    if several and single:
        raise UsageError(single)
    code, previous = EXIT_OK, list[str]()
    for number, expression in expressions:
        out: list[str] = []
        error = None
        try:
            code = max(code, run(expression, out))
        except MatcalcError as e:
            error, code = e, max(code, EXIT_INPUT)
        if out:
            if len(previous) > 1 or previous and len(out) > 1:
                print()
            print("\n".join(out))
            previous = out
        if error is not None:
            if not several:
                raise error
            print(f"error: line {number}: {error}", file=sys.stderr)
    return code


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _wrt(args):
    names = [w.strip() for w in args.wrt.split(",") if w.strip()]
    if not names:
        raise UsageError("--wrt needs a variable name, e.g. --wrt X")
    return names[0] if len(names) == 1 else names


# ---- the derivation commands -------------------------------------------------------------

def _results(result):
    """The single results inside (a Gradients or Jacobians mapping holds one per variable, a
    Hessians mapping one per pair of variables)."""
    if isinstance(result, Hessians):
        return list(result.values())
    return list(result.by_name.values()) if isinstance(result, Gradients) else [result]


def _vec_form(r, several=False) -> str | None:
    """'J = B^T kron A' for a Jacobian or Hessian printed as a map dX -> ...; with several
    variables, named by its block: 'H[x, X] = y^T kron I', 'J[X] = ...'."""
    if isinstance(r, Jacobian) and r.expr is not None and not r.vectors:
        head = "H" if r.label == "Hessian" else "J"
        if several:
            head = r.label.removeprefix("Hessian block ") if isinstance(r, HessianBlock) \
                else f"J[{r.wrt.name}]"
        return f"vec form: {head} = {text(r.expr)}"
    return None


def _note_constant(results):
    """On stderr: f does not depend on the variable, so its derivative is 0."""
    for r in results:
        f = r.function
        names = sorted(s.name for s in free_symbols(f) if isinstance(s, Symbol))
        if r.wrt.name not in names:
            close = [n for n in names if n.lower() == r.wrt.name.lower()] or \
                difflib.get_close_matches(r.wrt.name, names, n=1)
            print(f"note: {text(f)} does not depend on {r.wrt.name}, so its "
                  f"{r.label} is 0" + (f"; did you mean {close[0]}?" if close else ""),
                  file=sys.stderr)


def derive(args, stdin) -> int:
    options = _options(args)
    wrt = _wrt(args)
    if isinstance(wrt, list) and args.command not in ("grad", "hess", "jac"):
        raise UsageError(f"several variables (--wrt {args.wrt}) work with grad, hess and jac "
                         "only")
    backend = _code_backend(args)
    single = None if backend is None else \
        f"--{backend} writes one module, for one expression: give one expression at a time"
    return _each(args, stdin, lambda text, out: _derive_one(args, text, wrt, options,
                                                            backend, out), single=single)


def _code_backend(args) -> str | None:
    """The library of the module to write instead of the printed result, if any."""
    if args.compile and args.command not in COMPILED:
        raise UsageError("--compile writes the value and gradients (grad) or the value, "
                         "gradient and Hessian (hess); for the code of the result alone, "
                         "drop --compile")
    chosen = [name for name in BACKENDS if getattr(args, name)]   # exclusive options
    return chosen[0] if chosen else "numpy" if args.compile else None


def _module(args, text, wrt, options, backend, parts, doc) -> str:
    """The module written instead of the printed result: one compile()d function with
    --compile, else one function per variable (grad_W_1, grad_W_2, ...)."""
    if args.compile:
        order, name = COMPILED[args.command]
        if order == 2 and is_matrix(parts[0].wrt.shape):      # as compile() decides
            name = "value_grad_hvp"
        return compiled_module(doc, text, wrt, order, name, backend, options)
    stem = {"diff": "grad", "deriv": "deriv" if getattr(args, "order", 1) == 1 else
            f"deriv{args.order}"}.get(args.command, args.command)
    return results_module(doc, parts, stem, backend)


def _derive(args, text, wrt, options):
    """The result of the derivation command; a shape error says which --shape would fix it."""
    command = args.command
    try:
        if command == "grad" or command == "diff":
            return mc.gradient(text, wrt=wrt, **options)
        if command == "hess":
            return mc.hessian(text, wrt=wrt, **options)
        if command == "jac":
            return mc.jacobian(text, wrt=wrt, **options)
        return mc.derivative(text, wrt=wrt, order=args.order, **options)
    except MatcalcError as e:
        hint = _scalar_hint(command, text, wrt, options["shapes"] or {})
        if hint and e.args:
            e.args = (f"{e.args[0]}\n{hint}", *e.args[1:])
        raise


def _scalar_hint(command, text, wrt, shapes) -> str | None:
    """'hint: ... --shape "t scalar"' where a lowercase letter, which is a vector unless a
    --shape says otherwise, made the command fail and as a scalar lets it pass: sin(t) is no
    scalar function, deriv needs a scalar variable, det(A - t I) has no shape."""
    scalar_f = command in ("grad", "hess", "diff")
    try:
        f = mc.parse(text, shapes=shapes or None)
    except MatcalcError:
        f = None
    if f is None:
        letters = re.findall(r"(?<![\w\\])[a-z](?:_\w+|\d+)?(?![\w(])", text)
    elif command == "jac" or scalar_f and f.is_scalar:
        return None             # the shapes of the letters are not what failed
    else:
        letters = [s.name for s in free_symbols(f) if isinstance(s, Symbol)
                   and s.name[:1].islower() and not s.is_scalar]
    variables = [wrt] if isinstance(wrt, str) else wrt
    if f is not None and command == "deriv":
        letters = [n for n in variables if n in letters]
    tried = [n for n in dict.fromkeys([*variables, *sorted(letters)])
             if n in letters and n not in shapes][:SCALAR_HINT_TRIES]
    for name in tried:
        try:
            g = mc.parse(text, shapes={**shapes, name: "scalar"})
        except MatcalcError:
            continue
        if g.is_scalar or not scalar_f:
            return (f"hint: {name} is a vector here (a lowercase letter); if it is a scalar, "
                    f"say so: --shape \"{name} scalar\"")
    return None


def _derive_one(args, text, wrt, options, backend, out) -> int:
    """The lines to print for one expression go to out; returns the exit code. With a code
    backend they make the docstring of the module that is printed instead."""
    command = args.command
    result = _derive(args, text, wrt, options)
    parts = _results(result)
    _note_constant(parts)
    several = len(parts) > 1
    if args.steps:
        out += "\n\n".join(r.explain() for r in parts).split("\n")
    elif command == "diff":
        out += [str(r.differential) for r in parts]
    else:
        out += str(result).split("\n")
        out += [vec for vec in (_vec_form(r, several) for r in parts) if vec]
    if args.latex and args.steps:
        out += [latex_derivation(r.lhs_latex, list(r.steps), r.boxed, r.where_latex)
                if r.steps else r.boxed for r in parts]
    elif args.latex:
        out += [r.differential.latex for r in parts] if command == "diff" else \
            result.latex_rows if isinstance(result, Gradients) else \
            [r.boxed for r in parts] if several else [result.latex]
    code = EXIT_OK
    if args.verify:
        report = result.verify()
        out += str(report).split("\n")
        if not (report.ok or report.undecided):
            code = EXIT_FAIL
    if backend is not None:
        out[:] = _module(args, text, wrt, options, backend, parts, "\n".join(out)).split("\n")
    return code


SCALAR_HINT_TRIES = 8       # letters tried as scalars for the hint of a shape error


def check_command(args, stdin) -> int:
    answer = args.answer.strip()
    if not answer:
        raise UsageError("--answer is empty")
    options = _options(args)

    def one(text, out):
        wrt = args.wrt.strip()
        try:
            result = mc.check(text, wrt=wrt, answer=answer, kind=args.kind, **options)
        except ShapeError as e:
            if e.text.strip() != answer or answer == text:
                raise
            # An answer whose terms do not fit together is a wrong answer, not bad input.
            derive = mc.gradient if args.kind == "gradient" else mc.hessian
            first, *caret = str(e).split("\n")
            out += [f"wrong: the answer has no shape ({first}); the {args.kind} is "
                    f"{derive(text, wrt=wrt, **options)}", *caret]
            return EXIT_FAIL
        _note_constant([result.expected])
        out += str(result).split("\n")
        return EXIT_OK if result.correct else EXIT_FAIL
    return _each(args, stdin, one)


# ---- matcalc problems --------------------------------------------------------------------

def problems_command(args, stdin) -> int:
    if args.only:
        try:
            chosen = P.select(args.only.split(","))
        except KeyError as e:
            raise UsageError(f"--only: no problem {e.args[0]!r}; ids: "
                             + ", ".join(p.id for p in P.PROBLEMS)) from None
    else:
        chosen = list(P.PROBLEMS)
    start = time.perf_counter()
    outcomes = [P.run(p) for p in chosen]
    total = time.perf_counter() - start
    yes = lambda b: "yes" if b else "no"
    rows = [("id", "f", "result", "verified", "matches", "ms")]
    rows += [(o.problem.id, o.problem.text,
              o.result.replace("\n", "; ") if o.result else o.error.split("\n")[0],
              yes(o.verified), yes(o.matches), f"{o.ms:.0f}") for o in outcomes]
    print("\n".join(table(rows, right={5})))
    failing = [o for o in outcomes if not o.ok]
    for o in failing:
        print(_fit(f"FAILED {o.problem.id}: {o.error or o.message or 'not verified'}"))
        if not o.matches and not o.error:
            print(_fit(f"  expected: {o.problem.answer}"))
    verified = sum(o.verified for o in outcomes)
    matches = sum(o.matches for o in outcomes)
    print(f"{len(outcomes)} problems: {verified} verified, {matches} match the expected "
          f"answer, {len(failing)} failing ({total:.1f} s)")
    return EXIT_FAIL if failing else EXIT_OK


TABLE_WIDTH = 100          # columns of a table or message line the command line prints


def table(rows, right=frozenset(), width: int = TABLE_WIDTH) -> list[str]:
    """The lines of rows (the first is the header) in aligned columns, no wider than width:
    the widest column is narrowed, one character at a time, until the table fits, and its
    cells wrap at spaces onto the next lines. Columns in right are right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    floor = [len(c) for c in rows[0]]
    while sum(widths) + 2 * (len(widths) - 1) > width and widths != floor:
        k = max(range(len(widths)), key=lambda i: widths[i] - floor[i])
        widths[k] -= 1
    out = []
    for n, row in enumerate(rows):
        cells = [textwrap.wrap(c, w, break_on_hyphens=False) or [""]
                 for c, w in zip(row, widths)]
        for k in range(max(map(len, cells))):
            line = [(c[k] if k < len(c) else "").rjust(w) if i in right else
                    (c[k] if k < len(c) else "").ljust(w)
                    for i, (c, w) in enumerate(zip(cells, widths))]
            out.append("  ".join(line).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _fit(message: str, width: int = TABLE_WIDTH) -> str:
    """A message's long lines wrapped at spaces to width, continued with an indent."""
    return "\n".join(line if len(line) <= width else
                     textwrap.fill(line, width, subsequent_indent="    ",
                                   break_on_hyphens=False)
                     for line in message.split("\n"))


# ---- the parser --------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="matcalc",
        description="Symbolic matrix calculus by the differential method: gradients, "
                    "Hessians, Jacobians and derivatives, checked numerically.",
        epilog="Exit codes: 0 success; 1 wrong answer, failed verification or failing "
               "problem; 2 bad input; 3 internal error. Example: matcalc grad "
               "\"tr(A X^-1 B)\" --wrt X --steps")
    parser.add_argument("-V", "--version", action="version", version=f"matcalc {mc.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")
    sub.required = True

    def common(p, wrt_help):
        p.add_argument("expression", nargs="?",
                       help="the function, e.g. \"tr(A X^-1 B)\" (read from stdin when "
                            "omitted or -)")
        p.add_argument("--wrt", required=True, metavar="VAR", help=wrt_help)
        p.add_argument("--assume", action="append", metavar="'NAME KIND'",
                       help=f"an assumption, e.g. 'A symmetric' ({ASSUMPTION_HELP}); "
                            "repeatable")
        p.add_argument("--shape", action="append", metavar="'NAME SHAPE'",
                       help="a shape: 't scalar', 'x vector', 'x n', 'A matrix', 'A m n'; "
                            "repeatable")
        timeout(p)

    def timeout(p):
        p.add_argument("--timeout", metavar="SECONDS",
                       help="stop a computation that takes longer (default "
                            f"{DEFAULT_LIMIT:g}, or MATCALC_TIMEOUT; none: no limit)")

    derivations = {
        "grad": ("gradient", "the gradient G with df = <G, dX>"),
        "hess": ("hessian", "the Hessian (H[dX] and its vec form for a matrix variable)"),
        "jac": ("jacobian", "the Jacobian J with dF = J dx"),
        "deriv": ("derivative", "the derivative of a given order with respect to a scalar"),
        "diff": ("differential", "the differential in canonical form df = <G, dX>"),
    }
    for name, (alias, help_) in derivations.items():
        p = sub.add_parser(name, aliases=[alias], help=help_, description=help_ + ".")
        p.set_defaults(run=derive, command=name)
        common(p, "the variable, e.g. X" + (" (several: W,b)" if name == "grad" else ""))
        if name == "deriv":
            p.add_argument("--order", type=int, default=1, help="the order (default 1)")
        p.add_argument("--steps", action="store_true",
                       help="print the derivation step by step")
        p.add_argument("--latex", action="store_true",
                       help="print the result in LaTeX (with --steps: the derivation)")
        code = p.add_mutually_exclusive_group()
        code.add_argument("--numpy", action="store_true",
                          help="print a Python module (NumPy) that evaluates the result, "
                               "the result as its docstring: matcalc ... --numpy > g.py")
        code.add_argument("--jax", action="store_true",
                          help="the same module against jax.numpy")
        code.add_argument("--torch", action="store_true",
                          help="the same module against PyTorch (float64 tensors)")
        p.add_argument("--compile", action="store_true",
                       help="with grad or hess: the module's one function returns the value "
                            "and the gradients (and Hessian), sharing their work")
        p.add_argument("--verify", action="store_true",
                       help="compare with finite differences on random inputs; exit 1 "
                            "if they disagree")

    p = sub.add_parser("check", help="is an answer the gradient (or Hessian)?",
                       description="Whether --answer is the gradient (or, with --kind "
                                   "hessian, the Hessian) of the expression; says where a "
                                   "wrong answer differs. Exit 0 right, 1 wrong.")
    p.set_defaults(run=check_command)
    common(p, "the variable, e.g. X")
    p.add_argument("--answer", required=True, help="the answer to check, e.g. \"X^-1\"")
    p.add_argument("--kind", choices=("gradient", "hessian"), default="gradient")

    p = sub.add_parser("problems", help="solve and verify the seminar problem set",
                       description="Solve every problem of the seminar problem set, "
                                   "verify it with finite differences and compare it with "
                                   "the expected answer. Exit 1 if any fails.")
    p.set_defaults(run=problems_command)
    p.add_argument("--only", metavar="IDS",
                   help="comma-separated ids, e.g. P3,P5 (P3 selects P3, P3-hess, P3-sym...)")
    timeout(p)
    return parser


def _protect_leading_minus(argv) -> list[str]:
    """'-exp(-x^T x)' or --answer '-X^-T' would read as options: a leading space keeps them
    positional values (the parser of the language ignores it). -h anywhere, and -V before the
    command, are the options."""
    out, rest = [], False
    for k, a in enumerate(argv):
        if rest or a in ("-", "--") or a.startswith("--") or a == "-h" or a == "-V" and k == 0 \
                or not a.startswith("-"):
            rest = rest or a == "--"
            out.append(a)
        else:
            out.append(" " + a)
    return out


def main(argv: list[str] | None = None, stdin=None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 wrong/failed, 2 bad input)."""
    parser = build_parser()
    argv = _protect_leading_minus(sys.argv[1:] if argv is None else list(argv))
    args = parser.parse_args(argv)
    try:
        with _time_limit(args.timeout):
            code = args.run(args, sys.stdin if stdin is None else stdin)
            sys.stdout.flush()
        return code
    except MatcalcError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:      # a bug in matcalc: say so, without a traceback
        if os.environ.get("MATCALC_DEBUG"):
            raise
        print(f"internal error: {type(e).__name__}: {e}\n(this is a bug in matcalc; "
              "set MATCALC_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


@contextlib.contextmanager
def _time_limit(spec):
    """The limit --timeout gives, while the command runs."""
    if spec is None:
        yield
        return
    previous = set_time_limit(parse_timeout(spec))
    try:
        yield
    finally:
        set_time_limit(previous)


def _quiet_stdout():
    """The reader of stdout has gone (matcalc problems | head): send the rest to /dev/null,
    so that flushing stdout at exit raises no second error."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
