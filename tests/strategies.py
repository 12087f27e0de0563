"""Hypothesis strategies: random well-shaped expressions with an independent NumPy oracle.

Every generated expression is built twice, side by side: as text in
matcalc's input language (with varied spellings: ``^T``, ``'``, ``ᵀ``,
``<a, b>``, ``⟨a, b⟩``, ``.*``, ``⊙``, ``inv(M)``, ``M^-1``, ``log det``
without parentheses, ...) and as a NumPy function of the values. The oracle
never calls matcalc.

The variable is a vector ``x`` or a square matrix ``X``; the constants are
``A``, ``B`` (square), ``b``, ``c`` (vectors) and ``t`` (a scalar), all of
size n. Values keep everything well-defined: square matrices are near the
identity (invertible, positive determinant), ``t`` is in [0.5, 1.5]; logs,
square roots, divisions and non-integer powers only see quantities that are
positive by construction (``1 + x^T x``, ``det(I + 1/10 M M^T)``,
``sigma(s)``, ``exp(s)``), inverses and determinants only near-identity
matrices.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from hypothesis import strategies as st

from oracle import sigma as _sigmoid

N = 3
SHAPES = {"x": "n", "X": ("n", "n"), "A": ("n", "n"), "B": ("n", "n"), "b": "n", "c": "n",
          "t": "scalar"}


@dataclass(frozen=True)
class Node:
    """Text, NumPy function of the values, and what is known about the value."""
    text: str
    fn: Callable = field(repr=False, compare=False)
    positive: bool = False      # scalar > 0 everywhere (bounded away from 0: >= a margin)
    near_identity: bool = False  # square matrix, invertible with det > 0
    atom: bool = False           # needs no parentheses


@dataclass(frozen=True)
class Case:
    """A scalar function f of the variable ``var``, and values to check it at."""
    text: str
    var: str
    f: Callable = field(repr=False, compare=False)
    seed: int = 0

    def values(self, n: int = N) -> dict:
        rng = np.random.default_rng(self.seed)
        return {
            "x": 0.6 * rng.standard_normal(n),
            "X": np.eye(n) + 0.15 * rng.standard_normal((n, n)),
            "A": np.eye(n) + 0.2 * rng.standard_normal((n, n)),
            "B": np.eye(n) + 0.2 * rng.standard_normal((n, n)),
            "b": rng.standard_normal(n),
            "c": rng.standard_normal(n),
            "t": float(rng.uniform(0.5, 1.5)),
        }

    def __repr__(self):
        return f"Case({self.text!r}, var={self.var!r}, seed={self.seed})"


def paren(node: Node) -> str:
    return node.text if node.atom else f"({node.text})"


def term(node: Node) -> str:
    """The text as a term after + or -: parenthesized when it starts with a sign."""
    return f"({node.text})" if node.text.startswith("-") else node.text


def leaf(text, fn, **flags) -> Node:
    return Node(text, fn, atom=True, **flags)


# ---- the three kinds of expressions ----------------------------------------------------------

def scalar_leaves(var):
    leaves = [leaf("t", lambda v: v["t"], positive=True),
              leaf("2", lambda v: 2.0, positive=True),
              Node("1/2", lambda v: 0.5, positive=True),
              Node("b^T c", lambda v: v["b"] @ v["c"])]
    if var == "x":
        leaves += [Node("b^T x", lambda v: v["b"] @ v["x"]),
                   Node("x^T x", lambda v: v["x"] @ v["x"]),
                   Node("x^T A x", lambda v: v["x"] @ v["A"] @ v["x"])] * 2
    else:
        leaves += [Node("tr(X)", lambda v: np.trace(v["X"])),
                   Node("b^T X c", lambda v: v["b"] @ v["X"] @ v["c"]),
                   Node("<A, X>", lambda v: np.sum(v["A"] * v["X"]))] * 2
    return leaves


def vector_leaves(var):
    leaves = [leaf("b", lambda v: v["b"]), leaf("c", lambda v: v["c"])]
    if var == "x":
        leaves += [leaf("x", lambda v: v["x"])] * 3
    else:
        leaves += [Node("X b", lambda v: v["X"] @ v["b"]),
                   Node("X^T c", lambda v: v["X"].T @ v["c"])]
    return leaves


def matrix_leaves(var):
    leaves = [leaf("A", lambda v: v["A"], near_identity=True),
              leaf("B", lambda v: v["B"], near_identity=True),
              leaf("I", lambda v: np.eye(len(v["b"])), near_identity=True)]
    if var == "X":
        leaves += [leaf("X", lambda v: v["X"], near_identity=True)] * 3
    else:
        leaves += [Node("x x^T", lambda v: np.outer(v["x"], v["x"])),
                   Node("x b^T", lambda v: np.outer(v["x"], v["b"]))]
    return leaves


def _softplus(z):
    return np.logaddexp(0.0, z)


@st.composite
def scalar(draw, var, depth):
    if depth <= 0 or draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(scalar_leaves(var)))
    kind = draw(st.sampled_from([
        "add", "sub", "mul", "star", "div", "number", "square", "cube", "inner", "norm",
        "normsq", "quad", "sum", "trace", "det", "logdet", "logdet_spd", "frob", "log", "sqrt",
        "exp", "sin", "cos", "tanh", "sigma", "softplus", "power", "abs", "neg", "halfpow"]))
    s = lambda: draw(scalar(var, depth - 1))
    u = lambda: draw(vector(var, depth - 1))
    M = lambda: draw(matrix(var, depth - 1))
    pos = lambda: draw(positive(var, depth - 1))
    if kind == "add":
        a, b = s(), s()
        return Node(f"{a.text} + {term(b)}", lambda v: a.fn(v) + b.fn(v),
                    positive=a.positive and b.positive)
    if kind == "sub":
        a, b = s(), s()
        return Node(f"{a.text} - {paren(b)}", lambda v: a.fn(v) - b.fn(v))
    if kind == "mul":
        a, b = s(), s()
        return Node(f"{paren(a)} {paren(b)}", lambda v: a.fn(v) * b.fn(v),
                    positive=a.positive and b.positive)
    if kind == "star":
        a, b = s(), s()
        return Node(f"{paren(a)} * {paren(b)}", lambda v: a.fn(v) * b.fn(v))
    if kind == "div":
        a, p = s(), pos()
        return Node(f"{paren(a)} / {paren(p)}", lambda v: a.fn(v) / p.fn(v),
                    positive=a.positive)
    if kind == "number":
        k, text = draw(st.sampled_from([(3.0, "3"), (0.5, "1/2"), (0.25, "0.25"), (-2.0, "-2")]))
        a = s()
        if k < 0:
            return Node(f"{text} {paren(a)}", lambda v: k * a.fn(v))
        return Node(f"{text} {paren(a)}", lambda v: k * a.fn(v), positive=a.positive)
    if kind == "square":
        a = s()
        return Node(f"{paren(a)}^2", lambda v: a.fn(v) ** 2)
    if kind == "cube":
        a = s()
        return Node(f"{paren(a)}^3", lambda v: a.fn(v) ** 3, positive=a.positive)
    if kind == "inner":
        a, b = u(), u()
        spelling = draw(st.sampled_from(["<{}, {}>", "⟨{}, {}⟩", "{}^T {}",
                                         r"\langle {}, {} \rangle"]))
        texts = (a.text, b.text) if "<" in spelling or "⟨" in spelling or "langle" in spelling \
            else (paren(a), paren(b))
        return Node(spelling.format(*texts), lambda v: a.fn(v) @ b.fn(v), atom="<" in spelling)
    if kind == "norm":
        a = u()
        spelling = draw(st.sampled_from(["||{}||", "||{}||_2", "‖{}‖"]))
        return Node(spelling.format(a.text), lambda v: np.linalg.norm(a.fn(v)), atom=True)
    if kind == "normsq":
        a = u()
        return Node(f"||{a.text}||_2^2", lambda v: a.fn(v) @ a.fn(v))
    if kind == "quad":
        a, m, b = u(), M(), u()
        return Node(f"{paren(a)}^T {paren(m)} {paren(b)}", lambda v: a.fn(v) @ m.fn(v) @ b.fn(v))
    if kind == "sum":
        a = u()
        spelling = draw(st.sampled_from(["sum({})", "1^T {}"]))
        return Node(spelling.format(a.text if "sum" in spelling else paren(a)),
                    lambda v: np.sum(a.fn(v)))
    if kind == "trace":
        m = M()
        spelling = draw(st.sampled_from(["tr({})", "trace({})", r"\operatorname{{tr}}({})"]))
        return Node(spelling.format(m.text), lambda v: np.trace(m.fn(v)), atom=True)
    if kind == "det":
        m = draw(near_identity(var, depth - 1))
        return Node(f"det({m.text})", lambda v: np.linalg.det(m.fn(v)), atom=True, positive=True)
    if kind == "logdet":
        m = draw(near_identity(var, depth - 1))
        spelling = draw(st.sampled_from(["log(det({}))", "logdet({})", "ln det {}"]))
        text = spelling.format(m.text if "(" in spelling else paren(m))
        return Node(text, lambda v: np.log(np.linalg.det(m.fn(v))), atom="(" in spelling)
    if kind == "logdet_spd":
        m = M()
        return Node(f"log det(I + 1/10 {paren(m)} {paren(m)}^T)",
                    lambda v: np.log(np.linalg.det(np.eye(len(v["b"]))
                                                   + 0.1 * m.fn(v) @ m.fn(v).T)))
    if kind == "frob":
        m, m2 = M(), M()
        spelling = draw(st.sampled_from(["<{}, {}>", "||{}||_F", "||{}||_F^2"]))
        if spelling == "<{}, {}>":
            return Node(f"<{m.text}, {m2.text}>", lambda v: np.sum(m.fn(v) * m2.fn(v)), atom=True)
        if spelling == "||{}||_F":
            return Node(f"||{m.text}||_F", lambda v: np.linalg.norm(m.fn(v)), atom=True)
        return Node(f"||{m.text}||_F^2", lambda v: np.sum(m.fn(v) ** 2))
    if kind == "log":
        p = pos()
        spelling = draw(st.sampled_from(["log({})", "ln({})", r"\ln({})"]))
        return Node(spelling.format(p.text), lambda v: np.log(p.fn(v)), atom=True)
    if kind == "sqrt":
        p = pos()
        return Node(f"sqrt({p.text})", lambda v: np.sqrt(p.fn(v)), atom=True, positive=True)
    if kind == "halfpow":
        p = pos()
        return Node(f"{paren(p)}^(1/2)", lambda v: np.sqrt(p.fn(v)), positive=True)
    if kind == "power":
        p, a = pos(), s()
        return Node(f"{paren(p)}^(sin({a.text}))", lambda v: p.fn(v) ** np.sin(a.fn(v)),
                    positive=True)
    if kind in ("exp", "sin", "cos", "tanh", "sigma", "softplus"):
        a = s()
        if kind == "exp":      # bounded argument
            return Node(f"exp(tanh({a.text}))", lambda v: np.exp(np.tanh(a.fn(v))),
                        atom=True, positive=True)
        fns = {"sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sigma": _sigmoid,
               "softplus": _softplus}
        f = fns[kind]
        return Node(f"{kind}({a.text})", lambda v: f(a.fn(v)), atom=True,
                    positive=kind in ("sigma", "softplus"))
    if kind == "abs":
        p = pos()
        # not an atom: inside another |.|, a bar after an operand closes (t |u| reads |... t|),
        # so a product writes it t (|u|)
        return Node(f"|{p.text}|", lambda v: abs(p.fn(v)), positive=True)
    if kind == "neg":
        a = s()
        return Node(f"-{paren(a)}", lambda v: -a.fn(v))
    raise AssertionError(kind)


@st.composite
def positive(draw, var, depth):
    """A scalar > 0 everywhere, at least about 1/2 away from 0."""
    kind = draw(st.sampled_from(["one_plus_sq", "one_plus_norm", "exp", "sigma_plus", "t",
                                 "det_spd", "scalar_pos", "softplus_plus"]))
    if kind == "t":
        return leaf("t", lambda v: v["t"], positive=True)
    if kind == "one_plus_sq":
        a = draw(scalar(var, depth))
        return Node(f"1 + {paren(a)}^2", lambda v: 1 + a.fn(v) ** 2, positive=True)
    if kind == "one_plus_norm":
        a = draw(vector(var, depth))
        spelling = draw(st.sampled_from(["1 + {a}^T {a}", "1 + ||{b}||^2", "1 + <{b}, {b}>"]))
        return Node(spelling.format(a=paren(a), b=a.text), lambda v: 1 + a.fn(v) @ a.fn(v),
                    positive=True)
    if kind == "exp":
        a = draw(scalar(var, depth))
        return Node(f"exp(sin({a.text}))", lambda v: np.exp(np.sin(a.fn(v))), atom=True,
                    positive=True)
    if kind == "sigma_plus":
        a = draw(scalar(var, depth))
        return Node(f"1/2 + sigma({a.text})", lambda v: 0.5 + _sigmoid(a.fn(v)), positive=True)
    if kind == "softplus_plus":
        a = draw(scalar(var, depth))
        return Node(f"1 + softplus({a.text})", lambda v: 1 + _softplus(a.fn(v)), positive=True)
    if kind == "det_spd":
        m = draw(matrix(var, depth))
        return Node(f"det(I + 1/10 {paren(m)}^T {paren(m)})",
                    lambda v: np.linalg.det(np.eye(len(v["b"])) + 0.1 * m.fn(v).T @ m.fn(v)),
                    atom=True, positive=True)
    a = draw(scalar(var, depth))
    if a.positive:
        return Node(f"1/2 + {term(a)}", lambda v: 0.5 + a.fn(v), positive=True)
    return Node(f"2 + cos({a.text})", lambda v: 2 + np.cos(a.fn(v)), positive=True)


@st.composite
def vector(draw, var, depth):
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(vector_leaves(var)))
    kind = draw(st.sampled_from(["matvec", "scale", "add", "sub", "hadamard", "elementwise",
                                 "solve", "transpose_matvec", "square", "diag", "outer_apply",
                                 "divide", "number", "softmax", "ediv"]))
    u = lambda: draw(vector(var, depth - 1))
    M = lambda: draw(matrix(var, depth - 1))
    s = lambda: draw(scalar(var, depth - 1))
    if kind == "matvec":
        m, a = M(), u()
        return Node(f"{paren(m)} {paren(a)}", lambda v: m.fn(v) @ a.fn(v))
    if kind == "transpose_matvec":
        m, a = M(), u()
        t = draw(st.sampled_from(["^T", "'", "ᵀ", r"^\top"]))
        return Node(f"{paren(m)}{t} {paren(a)}", lambda v: m.fn(v).T @ a.fn(v))
    if kind == "solve":
        m, a = draw(near_identity(var, depth - 1)), u()
        spelling = draw(st.sampled_from(["{}^-1 {}", "{}^{{-1}} {}", "inv({}) {}", "{}⁻¹ {}"]))
        mt = m.text if spelling.startswith("inv") else paren(m)
        return Node(spelling.format(mt, paren(a)), lambda v: np.linalg.solve(m.fn(v), a.fn(v)))
    if kind == "scale":
        c, a = s(), u()
        return Node(f"{paren(c)} {paren(a)}", lambda v: c.fn(v) * a.fn(v))
    if kind == "number":
        a = u()
        return Node(f"3 {paren(a)}", lambda v: 3 * a.fn(v))
    if kind == "divide":
        a, p = u(), draw(positive(var, depth - 1))
        return Node(f"{paren(a)} / {paren(p)}", lambda v: a.fn(v) / p.fn(v))
    if kind in ("add", "sub"):
        a, b = u(), u()
        sign = "+" if kind == "add" else "-"
        return Node(f"{a.text} {sign} {paren(b)}",
                    lambda v: a.fn(v) + b.fn(v) if sign == "+" else a.fn(v) - b.fn(v))
    if kind == "hadamard":
        a, b = u(), u()
        op = draw(elementwise_spelling([".*", "⊙", "∘", r"\odot", r"\circ"]))
        if draw(st.integers(0, 3)) == 0:      # after a number: 3.*x
            return Node(f"3{op}{paren(b)}", lambda v: 3 * b.fn(v))
        return Node(f"{paren(a)}{op}{paren(b)}", lambda v: a.fn(v) * b.fn(v))
    if kind == "ediv":
        a, b = u(), u()
        div = draw(elementwise_spelling(["./", r"\oslash"]))
        power = draw(elementwise_spelling([".^"]))
        return Node(f"{paren(a)}{div}(2 + {paren(b)}{power}2)",
                    lambda v: a.fn(v) / (2 + b.fn(v) ** 2))
    if kind == "square":
        a = u()
        power, op = draw(elementwise_spelling([".^"])), draw(elementwise_spelling([".*", "⊙"]))
        if draw(st.integers(0, 2)) == 0:      # a number between two operators: x.^2.*x
            return Node(f"{paren(a)}{power}2{op}{paren(a)}", lambda v: a.fn(v) ** 3)
        return Node(f"{paren(a)}{power}2", lambda v: a.fn(v) ** 2)
    if kind == "elementwise":
        a = u()
        name = draw(st.sampled_from(["sin", "cos", "tanh", "sigma", "softplus", "exp"]))
        fns = {"sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sigma": _sigmoid,
               "softplus": _softplus, "exp": lambda z: np.exp(np.tanh(z))}
        text = f"exp(tanh({a.text}))" if name == "exp" else f"{name}({a.text})"
        return Node(text, lambda v: fns[name](a.fn(v)), atom=True)
    if kind == "softmax":
        a = u()
        return Node(f"softmax({a.text})",
                    lambda v: np.exp(a.fn(v) - a.fn(v).max())
                    / np.sum(np.exp(a.fn(v) - a.fn(v).max())),
                    atom=True)
    if kind == "diag":
        m = M()
        return Node(f"diag({m.text})", lambda v: np.diag(m.fn(v)).copy(), atom=True)
    if kind == "outer_apply":
        a, b, c = u(), u(), u()
        return Node(f"{paren(a)} ({paren(b)}^T {paren(c)})",
                    lambda v: a.fn(v) * (b.fn(v) @ c.fn(v)))
    raise AssertionError(kind)


@st.composite
def elementwise_spelling(draw, ops):
    """One of the spellings of an elementwise operator, with or without spaces around it
    (a LaTeX command keeps the space after it: \\odot x, not \\odotx)."""
    op = draw(st.sampled_from(ops))
    before, after = draw(st.sampled_from(["", " "])), draw(st.sampled_from(["", " "]))
    return before + op + (" " if op.startswith("\\") else after)


@st.composite
def near_identity(draw, var, depth):
    """A square matrix near I: invertible, det > 0."""
    if depth <= 0 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from([m for m in matrix_leaves(var) if m.near_identity]))
    kind = draw(st.sampled_from(["product", "transpose", "inverse", "spd", "square"]))
    m = draw(near_identity(var, depth - 1))
    if kind == "product":
        m2 = draw(near_identity(var, depth - 1))
        return Node(f"{paren(m)} {paren(m2)}", lambda v: m.fn(v) @ m2.fn(v), near_identity=True)
    if kind == "transpose":
        return Node(f"{paren(m)}^T", lambda v: m.fn(v).T, near_identity=True)
    if kind == "inverse":
        spelling = draw(st.sampled_from(["{}^-1", "inv({})", "{}^{{-1}}"]))
        text = spelling.format(m.text if spelling.startswith("inv") else paren(m))
        return Node(text, lambda v: np.linalg.inv(m.fn(v)), near_identity=True)
    if kind == "square":
        return Node(f"{paren(m)}^2", lambda v: m.fn(v) @ m.fn(v), near_identity=True)
    g = draw(matrix(var, depth - 1))
    return Node(f"I + 1/10 {paren(g)} {paren(g)}^T",
                lambda v: np.eye(len(v["b"])) + 0.1 * g.fn(v) @ g.fn(v).T, near_identity=True)


@st.composite
def matrix(draw, var, depth):
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(matrix_leaves(var)))
    kind = draw(st.sampled_from(["near", "product", "add", "sub", "transpose", "scale", "outer",
                                 "hadamard", "diag", "elementwise", "inverse_t", "power"]))
    M = lambda: draw(matrix(var, depth - 1))
    if kind == "near":
        return draw(near_identity(var, depth))
    if kind == "product":
        a, b = M(), M()
        op = draw(st.sampled_from([" ", " * ", r" \cdot "]))
        return Node(f"{paren(a)}{op}{paren(b)}", lambda v: a.fn(v) @ b.fn(v))
    if kind in ("add", "sub"):
        a, b = M(), M()
        sign = "+" if kind == "add" else "-"
        return Node(f"{a.text} {sign} {paren(b)}",
                    lambda v: a.fn(v) + b.fn(v) if sign == "+" else a.fn(v) - b.fn(v))
    if kind == "transpose":
        a = M()
        t = draw(st.sampled_from(["^T", "'", "ᵀ", "^{T}"]))
        return Node(f"{paren(a)}{t}", lambda v: a.fn(v).T)
    if kind == "scale":
        c, a = draw(scalar(var, depth - 1)), M()
        return Node(f"{paren(c)} {paren(a)}", lambda v: c.fn(v) * a.fn(v))
    if kind == "outer":
        a, b = draw(vector(var, depth - 1)), draw(vector(var, depth - 1))
        return Node(f"{paren(a)} {paren(b)}^T", lambda v: np.outer(a.fn(v), b.fn(v)))
    if kind == "hadamard":
        a, b = M(), M()
        op = draw(elementwise_spelling([".*", "⊙", "∘", r"\odot", r"\circ"]))
        return Node(f"{paren(a)}{op}{paren(b)}", lambda v: a.fn(v) * b.fn(v))
    if kind == "diag":
        a = draw(vector(var, depth - 1))
        return Node(f"diag({a.text})", lambda v: np.diag(a.fn(v)), atom=True)
    if kind == "elementwise":
        a = M()
        name = draw(st.sampled_from(["sin", "tanh", "sigma"]))
        fns = {"sin": np.sin, "tanh": np.tanh, "sigma": _sigmoid}
        return Node(f"{name}({a.text})", lambda v: fns[name](a.fn(v)), atom=True)
    if kind == "inverse_t":
        m = draw(near_identity(var, depth - 1))
        return Node(f"{paren(m)}^-T", lambda v: np.linalg.inv(m.fn(v)).T)
    if kind == "power":
        m = M()
        return Node(f"{paren(m)}^2", lambda v: m.fn(v) @ m.fn(v))
    raise AssertionError(kind)


@st.composite
def cases(draw, var=None, depth=3):
    """A scalar function of x or X (text and NumPy oracle) and a seed for the values."""
    var = var or draw(st.sampled_from(["x", "X"]))
    node = draw(scalar(var, depth).filter(lambda n: re.search(rf"(?<![A-Za-z]){var}(?![A-Za-z])",
                                                              n.text)))
    seed = draw(st.integers(0, 2 ** 16))
    return Case(node.text, var, node.fn, seed)


# ---- printing: forms whose printed text must carry their shape -------------------------------
# Ones vectors before rows (1 u^T, the bias M + 1 u^T), things that cancel to zero, traces of
# identities, constants inside elementwise functions, scalar times I Hessians. Children come
# from these generators again (or the ones above), so the forms also occur nested.

def _ones(v):
    return np.ones(len(v["b"]))


@st.composite
def constant_vector(draw, var, depth):
    """A vector that is one number in every entry, written with vectors that cancel."""
    a = draw(printing_vector(var, depth - 1))
    s = draw(printing_scalar(var, depth - 1))
    kind = draw(st.sampled_from(["zero", "zero_times", "exp_zero", "square_zero", "scaled",
                                 "power_of_one"]))
    if kind == "zero":
        return Node(f"({a.text} - {paren(a)})", lambda v: 0 * a.fn(v), atom=True)
    if kind == "zero_times":
        return Node(f"0 {paren(a)}", lambda v: 0 * a.fn(v))
    if kind == "exp_zero":
        f = draw(st.sampled_from([("exp", np.exp), ("cos", np.cos), ("sigma", _sigmoid),
                                  ("tanh", np.tanh)]))
        return Node(f"{f[0]}({a.text} - {paren(a)})", lambda v: f[1](0 * a.fn(v)), atom=True)
    if kind == "square_zero":
        return Node(f"(1 + ({a.text} - {paren(a)}).^2)", lambda v: 1 + 0 * a.fn(v), atom=True)
    if kind == "scaled":
        return Node(f"({a.text} - {paren(a)} + {paren(s)} 1)", lambda v: s.fn(v) + 0 * a.fn(v),
                    atom=True)
    p = draw(positive(var, depth - 1))
    return Node(f"(1 + ({a.text} - {paren(a)}).^2).^{paren(p)}", lambda v: 1 + 0 * a.fn(v))


@st.composite
def printing_vector(draw, var, depth):
    if depth <= 0:
        return draw(vector(var, 0))
    kind = draw(st.sampled_from(["vector", "vector", "constant", "outer_times", "hadamard_constant",
                                 "matrix_times_ones", "sum_with_constant"]))
    if kind == "vector":
        return draw(vector(var, depth))
    if kind == "constant":
        return draw(constant_vector(var, depth))
    a, c = draw(printing_vector(var, depth - 1)), draw(constant_vector(var, depth - 1))
    if kind == "outer_times":     # (1 a^T) b = (a^T b) 1
        b = draw(printing_vector(var, depth - 1))
        return Node(f"(1 {paren(a)}^T) {paren(b)}", lambda v: _ones(v) * (a.fn(v) @ b.fn(v)))
    if kind == "hadamard_constant":
        return Node(f"{paren(a)} .* {paren(c)}", lambda v: a.fn(v) * c.fn(v))
    if kind == "matrix_times_ones":
        m = draw(printing_matrix(var, depth - 1))
        return Node(f"{paren(m)} 1", lambda v: m.fn(v) @ _ones(v))
    return Node(f"{a.text} + {paren(c)}", lambda v: a.fn(v) + c.fn(v))


@st.composite
def printing_matrix(draw, var, depth):
    if depth <= 0:
        return draw(matrix(var, 0))
    kind = draw(st.sampled_from(["matrix", "matrix", "ones_row", "row_ones", "bias", "cancel",
                                 "diag_constant", "scaled_identity", "ones_ones"]))
    if kind == "matrix":
        return draw(matrix(var, depth))
    a, m = draw(printing_vector(var, depth - 1)), draw(printing_matrix(var, depth - 1))
    if kind == "ones_row":
        return Node(f"1 {paren(a)}^T", lambda v: np.outer(_ones(v), a.fn(v)))
    if kind == "row_ones":
        return Node(f"{paren(a)} 1^T", lambda v: np.outer(a.fn(v), _ones(v)))
    if kind == "bias":
        return Node(f"{m.text} + 1 {paren(a)}^T", lambda v: m.fn(v) + np.outer(_ones(v), a.fn(v)))
    if kind == "cancel":
        return Node(f"({m.text} - {paren(m)})", lambda v: 0 * m.fn(v), atom=True)
    if kind == "diag_constant":
        c = draw(constant_vector(var, depth - 1))
        return Node(f"diag({c.text})", lambda v: np.diag(c.fn(v)), atom=True)
    if kind == "ones_ones":
        return Node("1 1^T", lambda v: np.outer(_ones(v), _ones(v)))
    s = draw(printing_scalar(var, depth - 1))
    return Node(f"{paren(s)} I", lambda v: s.fn(v) * np.eye(len(v["b"])))


@st.composite
def printing_scalar(draw, var, depth):
    if depth <= 0:
        return draw(scalar(var, 0))
    kind = draw(st.sampled_from(["scalar", "scalar", "trace_identity", "ones_inner", "quad",
                                 "trace", "sum", "norm_constant", "scaled_square"]))
    if kind == "scalar":
        return draw(scalar(var, depth))
    a, b = draw(printing_vector(var, depth - 1)), draw(printing_vector(var, depth - 1))
    m = draw(printing_matrix(var, depth - 1))
    if kind == "trace_identity":
        n = draw(near_identity(var, depth - 1))
        spelling = draw(st.sampled_from(["tr({m}^-1 {m})", "<I, {m} {m}^-1>", "tr(I + 0 {m})"]))
        return Node(spelling.format(m=paren(n)), lambda v: float(len(v["b"])), atom=True,
                    positive=True)
    if kind == "ones_inner":
        return Node(f"1^T {paren(a)}", lambda v: np.sum(a.fn(v)))
    if kind == "quad":
        return Node(f"{paren(a)}^T {paren(m)} {paren(b)}", lambda v: a.fn(v) @ m.fn(v) @ b.fn(v))
    if kind == "trace":
        return Node(f"tr({m.text})", lambda v: np.trace(m.fn(v)), atom=True)
    if kind == "sum":
        return Node(f"sum({m.text})", lambda v: np.sum(m.fn(v)), atom=True)
    if kind == "norm_constant":
        c = draw(constant_vector(var, depth - 1))
        return Node(f"||{c.text}||^2", lambda v: c.fn(v) @ c.fn(v))
    # a scalar times ||var||^2 or x^T x: its Hessian is a scalar times I
    s = draw(st.sampled_from([leaf("t", lambda v: v["t"]), Node("b^T c", lambda v: v["b"] @ v["c"]),
                              leaf("tr(A)", lambda v: np.trace(v["A"]))]))
    square = {"x": ("x^T x", lambda v: v["x"] @ v["x"]),
              "X": ("||X||_F^2", lambda v: np.sum(v["X"] ** 2))}[var]
    return Node(f"{paren(s)} {square[0]}", lambda v: s.fn(v) * square[1](v))


@st.composite
def printing_cases(draw, var=None, depth=3):
    """A scalar function of x or X with the forms above in it."""
    var = var or draw(st.sampled_from(["x", "X"]))
    node = draw(printing_scalar(var, depth).filter(
        lambda n: re.search(rf"(?<![A-Za-z]){var}(?![A-Za-z])", n.text)))
    return Case(node.text, var, node.fn, draw(st.integers(0, 2 ** 16)))


@st.composite
def printing_values(draw, depth=3):
    """A vector or matrix expression of x or X with the forms above in it: (text, oracle)."""
    var = draw(st.sampled_from(["x", "X"]))
    node = draw(draw(st.sampled_from([printing_vector, printing_matrix]))(var, depth))
    return Case(node.text, var, node.fn, draw(st.integers(0, 2 ** 16)))
