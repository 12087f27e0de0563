"""One generated function: its arguments, its outputs lowered into one DAG, its source.

Emission: every operation is a node of the hash-consed DAG, so a node used twice
is computed once into a local ``_tN``; the rest is written inline, Python's
operators by graph.python_spelling and every other operation by the backend.

Safety: the source is made only of identifiers that match
``[A-Za-z][A-Za-z0-9_]*`` (a Python keyword gets a trailing ``_``, as ``lambda_``;
builtins and the names of every backend's code are refused), numeric literals
written by ``repr(float)``, and the fixed templates of the graph and the backends.
``load`` compiles it with ``compile()`` and runs it with ``exec`` in a fresh
namespace; no user text is ever evaluated. This is the one module that runs code.
"""
from __future__ import annotations

import builtins
import itertools
import keyword
import linecache
import re
from collections import Counter
from dataclasses import dataclass

from ...errors import MatcalcError
from ...ir import expr as E
from ...ir.traverse import free_symbols
from .backends import BACKENDS, Backend
from .graph import ATOM, ENTRYWISE, MATMUL, OPERATORS, PROD, Node, is_row, python_spelling
from .lowering import Lowering, inverse_counts, symbol_name
from .products import MissingDimension

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
ARGUMENT_SLOT = re.compile(r"\{(\d+)\}(?=[.\[])")      # {i}. or {i}[: a receiver


def reserved_names(backend: Backend) -> set:
    """Names no symbol or function may take: the builtins and the names of the code of
    every backend (so that a function has one signature whatever the backend)."""
    return set(dir(builtins)).union(backend.reserved, *(b.reserved for b in BACKENDS.values()))


def python_name(name: str, backend: Backend) -> str:
    """The identifier for a symbol in generated code; MatcalcError unless it is a plain name."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise MatcalcError(f"cannot generate code for a symbol named {name!r}: a name must "
                           "be a letter followed by letters, digits or _ (such as x, x_1, alpha)")
    if name in reserved_names(backend):
        raise MatcalcError(f"cannot generate code for a symbol named {name!r}: the name is "
                           "reserved in generated code")
    return name + "_" if keyword.iskeyword(name) else name


@dataclass
class Output:
    label: str            # a local name for it (value, gradient, ...)
    expr: E.Expr
    reshape: str | None = None        # 2-D shape for a Jacobian, as Python text: "(1, -1)"
    inner: bool = False   # computed inside the nested hvp function
    grouped: bool = False  # returned with the other grouped outputs as one tuple


def _symbols(exprs):
    out = set()
    for e in exprs:
        out |= {s for s in free_symbols(e) if isinstance(s, (E.Symbol, E.Differential))}
    return out


class Program:
    """One generated function: arguments, outputs, optional nested HVP function."""

    def __init__(self, outputs, context=(), args=None, assume=None, name="f", backend="numpy",
                 doc="", direction=None, required=(), joint=False, batch=frozenset()):
        """``backend``: a Backend, or the name of one of BACKENDS; ``required``: expressions
        whose symbols are arguments whether or not the outputs still contain them (the
        variable of a derivative, the f of compile); ``joint``: the outputs share nodes up
        to transposition (graph.Graph); ``batch``: names of dimensions that the cost model
        of products takes as smaller than the others."""
        backend = BACKENDS[backend] if isinstance(backend, str) else backend
        if not isinstance(name, str) or not IDENTIFIER.match(name) or keyword.iskeyword(name) \
                or name in reserved_names(backend):
            raise MatcalcError(f"the function name must be a plain identifier, not {name!r}")
        self.outputs, self.assume, self.name, self.backend = outputs, assume or {}, name, backend
        self.doc, self.direction, self.joint, self.batch = doc, direction, joint, batch
        needed = _symbols(o.expr for o in outputs) | _symbols(required)
        available = needed | _symbols(context)
        by_name = {}
        for s in available:
            by_name.setdefault(symbol_name(s), s)
        for s in available:
            if by_name[symbol_name(s)] != s:
                raise MatcalcError(f"two different symbols are named {symbol_name(s)!r}")
        if direction is not None:
            by_name[direction.name] = direction
        if args is not None:
            if not isinstance(args, (list, tuple)) or not all(isinstance(a, str) for a in args):
                raise MatcalcError("args must list symbol names, such as ['A', 'x'], "
                                   f"not {args!r:.60}")
            args = list(args)
            repeated = sorted(a for a, k in Counter(args).items() if k > 1)
            if repeated:
                raise MatcalcError(f"args names {repeated} more than once; each symbol is "
                                   "one argument")
            unknown = [a for a in args if a not in by_name]
            if unknown:
                raise MatcalcError(f"unknown argument(s) {unknown}; the symbols are "
                                   f"{sorted(by_name)}")
            missing = sorted(symbol_name(s) for s in needed if symbol_name(s) not in args)
            if missing:
                raise MatcalcError(f"the arguments must include {missing}")
            chosen = args
        else:
            chosen = sorted(symbol_name(s) for s in needed)
        if direction is not None and direction.name in chosen:
            chosen.remove(direction.name)
        self.by_name = by_name
        pynames = {}
        for n in set(chosen) | ({direction.name} if direction is not None else set()):
            pynames[n] = python_name(n, backend)
        if len(set(pynames.values())) != len(pynames):
            raise MatcalcError(f"the symbols {sorted(pynames)} clash as Python names")
        self.pynames = pynames
        self.context_order = self._context_order(context)
        self.arg_names = self._lower_all(chosen, fixed=args is not None)

    def _context_order(self, context):
        names = []
        for e in context:
            if isinstance(e, (E.Symbol, E.Differential)):
                names.append(symbol_name(e))
        for s in sorted(_symbols(context), key=symbol_name):
            if symbol_name(s) not in names:
                names.append(symbol_name(s))
        return names

    def _lower_all(self, chosen, fixed=False):
        """Lower every output; add arguments from the context for unfixed dimensions."""
        counts = inverse_counts([o.expr for o in self.outputs])
        while True:
            arguments = {n: (self.pynames.setdefault(n, python_name(n, self.backend)),
                             self.by_name[n].shape) for n in sorted(set(chosen))}
            if self.direction is not None:
                arguments[self.direction.name] = (self.pynames[self.direction.name],
                                                  self.direction.shape)
            self.low = Lowering(arguments, self.assume, counts)
            self.low.g.joint, self.low.batch = self.joint, frozenset(self.batch)
            try:
                self.nodes = []
                for o in self.outputs:
                    node = self.low.node(self.low.lower(o.expr))
                    reshape = o.reshape or ("(1, -1)" if is_row(o.expr.shape) else None)
                    if reshape is not None:         # 2-D, as numeric.evaluate gives
                        node = self.low.g.make("reshape", (node,), "M",
                                               params=(("shape", reshape),))
                    self.nodes.append(node)
                return list(chosen) if fixed else sorted(set(chosen))
            except MissingDimension as missing:
                source = None if fixed else self._source_of(missing.dim, chosen)
                if source is None:
                    raise MatcalcError(f"the dimension {missing.dim} is not fixed by any "
                                       "argument; pass args= with a symbol that has it") from None
                chosen = list(chosen) + [source]

    def _source_of(self, d, chosen):
        for n in self.context_order:
            if n in chosen or n not in self.by_name:
                continue
            dims = self.by_name[n].shape
            if d in dims:
                return n
        return None

    # -- emission --
    def source(self) -> str:
        """The source: prelude, the helpers used, then the function; a node used twice (or,
        with a direction, used inside _hvp but not depending on it) is a local ``_tN``."""
        low = self.low
        direction = low.args.get(self.direction.name) if self.direction is not None else None
        uses = Counter[Node]()
        reachable: dict[int, Node] = {}

        def visit(n):
            for a in n.args:
                uses[a] += 1
                if a.id not in reachable:
                    reachable[a.id] = a
                    visit(a)
        for n in self.nodes:
            uses[n] += 1
            if n.id not in reachable:
                reachable[n.id] = n
                visit(n)
        order = [reachable[i] for i in sorted(reachable)]
        dep: set[Node] = set()
        for n in order:
            if n is direction or any(a in dep for a in n.args):
                dep.add(n)
        used_inside: set[Node] = set()
        for n in order:
            if n in dep:
                used_inside.update(a for a in n.args if a not in dep)
        names: dict[Node, str] = {}
        lines_outer: list[str] = []
        lines_inner: list[str] = []
        counter = itertools.count()
        helpers = set()
        spelled = {n: spelling(n, self.backend) for n in order}

        def text(n):
            if n in names:
                return names[n]
            template, prec, slots = spelled[n]
            parts = []
            for a, slot in zip(n.args, slots):
                t = text(a)
                level = ATOM if a in names else spelled[a][1]
                mixed = {level, prec} == {PROD, MATMUL}      # (a @ b) * c, for the reader
                parts.append(f"({t})" if level < slot or mixed else t)
            return template.format(*parts, **dict(n.params))

        def result(n):
            """An output: a number as a float literal, a dimension (a Python int) as a float,
            another scalar as the backend returns it."""
            if n.op == "number" and n.integral:
                return repr(float(n.param("value")))
            if n.kind == "S" and n.integral:
                return f"float({text(n)})"
            if n.kind == "S":
                return self.backend.scalar_result.format(text(n))
            return text(n)

        for n in order:
            helpers.update(self.backend.helpers_called(spelled[n][0]))
            if n.cheap:
                continue
            inner = n in dep
            local = uses[n] >= 2 or (not inner and n in used_inside and direction is not None)
            if not local:
                continue
            line = text(n)
            names[n] = f"_t{next(counter)}"
            (lines_inner if inner else lines_outer).append(f"{names[n]} = {line}")
        outer = [(o, n) for o, n in zip(self.outputs, self.nodes) if not o.inner]
        hvp = [(o, n) for o, n in zip(self.outputs, self.nodes) if o.inner]
        body = ["    " + line for line in lines_outer]
        results = [result(n) for o, n in outer if not o.grouped]
        grouped = [result(n) for o, n in outer if o.grouped]
        if grouped:
            results.append(f"({', '.join(grouped)}{',' if len(grouped) == 1 else ''})")
        if hvp:
            body.append("")
            body.append(f"    def _hvp({self.pynames[self.direction.name]}):")
            direction_name = self.direction.name
            body.append(f"        {repr(f'the Hessian applied to {direction_name}')}")
            body += ["        " + line for line in lines_inner]
            body.append(f"        return {result(hvp[0][1])}")
            body.append("")
            results.append("_hvp")
        body.append(f"    return {', '.join(results)}")
        signature = ", ".join(self.pynames[n] for n in self.arg_names)
        head = [f"def {self.name}({signature}):", f"    {repr(self.doc)}" if self.doc else None]
        code = "\n".join(line for line in head if line is not None) + "\n" + \
            "\n".join(body) + "\n"
        extra = [self.backend.helpers[h].strip("\n") + "\n" for h in sorted(helpers)]
        return self.backend.prelude + "\n\n" + "".join(x + "\n\n" for x in extra) + code


def python_number(node) -> bool:
    """A node the code computes as a Python number: a literal, a dimension, their arithmetic."""
    return node.op in ("number", "shape") or (node.op in OPERATORS or node.op == "+") and \
        all(python_number(a) for a in node.args)


def spelling(node, backend: Backend):
    """(template, precedence, slots) of a node: Python's, else the backend's, a primary
    expression whose receivers ({i}. or {i}[) must be atomic; a Python number as the argument
    of an entrywise function is made the backend's number_argument."""
    python = python_spelling(node)
    if python is not None:
        return python
    template = backend.template(node.op, node.params)
    if node.op in ENTRYWISE:
        for i, a in enumerate(node.args):
            if python_number(a):
                template = template.replace("{%d}" % i,
                                            backend.number_argument.replace("{}", "{%d}" % i))
    receivers = {int(i) for i in ARGUMENT_SLOT.findall(template)}
    return template, ATOM, tuple(ATOM if i in receivers else 0 for i in range(len(node.args)))


def load(source: str, name: str, arg_names, pynames, namespace=None):
    """The function ``name`` that generated source defines, with its ``.source``, ``.args``
    (symbol names) and ``.python_args``; the source is registered with linecache, so that
    tracebacks show its lines."""
    filename = f"<matcalc-generated-{abs(hash(source)):x}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(namespace or {})
    exec(builtins.compile(source, filename, "exec"), namespace)    # generated source only
    fn = namespace[name]
    fn.source = source
    fn.args = tuple(arg_names)
    fn.python_args = tuple(pynames[n] for n in arg_names)
    return fn

