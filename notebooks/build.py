"""Build (and execute) the notebooks of matcalc from this one script.

    python notebooks/build.py                 build and execute every notebook
    python notebooks/build.py 01_matrix_calculus 03_autodiff
    python notebooks/build.py --no-execute    write the notebooks without outputs

Each notebook is a list of markdown and code cells written below. The script
writes them with deterministic cell ids, executes them with nbclient in this
folder (the `notebooks` extra: pip install -e ".[notebooks]") and saves them
with their outputs, so that they read on the web as solution sheets. The
tests (tests/test_notebooks.py) execute them again and check that the
committed notebooks are the ones this script builds.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def md(source: str):
    return new_markdown_cell(dedent(source).strip("\n"))


def code(source: str):
    return new_code_cell(dedent(source).strip("\n"))


def notebook(name: str, cells: list):
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": KERNEL,
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    })
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name.split('_')[0]}-{i:03d}"
    return nb


# =====================================================================================
# 00  A tour
# =====================================================================================

TOUR = [
    md(r"""
    # A tour of matcalc: matrix calculus by the differential method

    matcalc differentiates expressions of vectors and matrices the way a seminar
    on matrix calculus does it: it applies the **rules of differentials**, brings
    the result to the **canonical form** $df = \langle G, dX \rangle$ and reads
    off the gradient $G$. Every result shows its derivation, prints as text and
    LaTeX, evaluates with NumPy and checks itself against finite differences.

    Notation: $x, a, b$ are column vectors, $A, B, X$ matrices, $t$ a scalar;
    $\langle A, B \rangle = \operatorname{tr}(A^\top B) = \sum_{ij} A_{ij} B_{ij}$.
    """),
    code("""
    import numpy as np
    from IPython.display import Math, display

    import matcalc as mc

    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    rng = np.random.default_rng(0)
    """),
    md(r"""
    ## 1. The differential method

    The differential of $f$ at $X$ is the part of $f(X + dX) - f(X)$ that is
    linear in the increment $dX$:

    $$f(X + dX) = f(X) + df(X)[dX] + o(\|dX\|).$$

    For a scalar $f$ the linear map $dX \mapsto df$ is an inner product with a
    fixed matrix $G$ of the shape of $X$:
    $df = \langle G, dX \rangle = \operatorname{tr}(G^\top dX)$, and that $G$ is the
    gradient $\nabla f(X)$. One never differentiates entry by entry: one applies
    a few rules to the expression as a whole, then rearranges $df$ until it
    reads $\langle G, dX \rangle$.

    The second differential is the differential of the gradient:
    $d(\nabla f) = H[dX]$ with $H$ the Hessian (a matrix for a vector $x$, a
    linear map of matrices for a matrix $X$), and
    $d^2 f = \langle H[dX_1], dX_2 \rangle$.
    """),
    md(r"""
    ## 2. The rules

    | rule | differential |
    |---|---|
    | constant | $dA = 0$ |
    | linearity | $d(\alpha X + \beta Y) = \alpha\, dX + \beta\, dY$ |
    | product | $d(XY) = dX\, Y + X\, dY$ |
    | transpose | $d(X^\top) = (dX)^\top$ |
    | inner product | $d\langle X, Y\rangle = \langle dX, Y\rangle + \langle X, dY\rangle$ |
    | inverse | $d(X^{-1}) = -X^{-1}\, dX\, X^{-1}$ |
    | trace | $d \operatorname{tr} X = \operatorname{tr} dX$ |
    | determinant | $d \det X = \det X \operatorname{tr}(X^{-1} dX) = \det X \langle X^{-\top}, dX\rangle$ |
    | logarithm | $d \log u = du / u$, so $d \log\det X = \langle X^{-\top}, dX\rangle$ |
    | power | $d(u^c) = c\, u^{c-1}\, du$ |
    | 2-norm | $d\|x\|_2 = \langle x, dx\rangle / \|x\|_2$ $(x \ne 0)$ |
    | elementwise $\varphi$ | $d\,\varphi(X) = \varphi'(X) \odot dX$ (e.g. $d \exp(u) = \exp(u) \odot du$) |
    | chain rule | $d\, f(g(X)) = df(g(X))[\,dg(X)\,]$: apply the rules from the outside in |

    matcalc applies them layer by layer and names the rule of every line. The
    elementwise chain rule, for example:
    """),
    code("""
    g = mc.gradient("1^T exp(A x)", wrt="x")   # 1 is the vector of ones
    print(g.explain())
    """),
    code("""
    print(mc.gradient("det X", wrt="X").explain())
    print()
    print(mc.gradient("a^T tanh(X) b", wrt="X").explain())
    """),
    md(r"""
    ## 3. The canonical form $df = \langle G, dX \rangle$

    To read off $G$, move $dX$ to the right of an inner product with

    * $\operatorname{tr}(ABC) = \operatorname{tr}(CAB)$ (cyclic trace),
    * $\langle A, BC \rangle = \langle B^\top A, C\rangle = \langle A C^\top, B\rangle$,
    * $\operatorname{tr}(A^\top B) = \langle A, B\rangle$, and $u^\top v = \langle u, v\rangle$ for vectors.

    For $f(X) = \operatorname{tr}(A X^{-1} B)$:
    $df = \operatorname{tr}(A\, d(X^{-1})\, B) = -\operatorname{tr}(A X^{-1} dX X^{-1} B)
    = -\operatorname{tr}(X^{-1} B A X^{-1} dX) = \langle -X^{-\top} A^\top B^\top X^{-\top}, dX\rangle$.

    Displaying a result in Jupyter renders this derivation in LaTeX, ending in
    the boxed gradient; `explain()` gives the same lines as plain text.
    """),
    code("""
    g = mc.gradient("tr(A X^-1 B)", wrt="X")
    g
    """),
    code("""
    print(g.explain())
    print()
    print(mc.differential("tr(A X^-1 B)", wrt="X"))
    print(mc.differential("ln <x, A x>", wrt="x"))
    """),
    md(r"""
    ## 4. Gradients

    Text goes in as you would write it on paper: juxtaposition is a product,
    `^T` a transpose, `^-1` an inverse, `<a, b>` an inner product, `||x||_2` a
    norm, `tr`, `det`, `log`, ... Shapes are inferred (lowercase letters are
    vectors, uppercase ones matrices) and can be given with `shapes=`.
    """),
    code("""
    f = mc.parse("1/2 ||A x - b||_2^2")
    print(f, "   shape:", f.shape)
    g = mc.gradient(f, wrt="x")
    print("gradient:", g)
    print("Hessian: ", mc.hessian(f, wrt="x"))
    """),
    code("""
    # a gradient has the shape of its variable; evaluate() takes NumPy values
    A, X, B = rng.standard_normal((2, 3)), np.eye(3) + 0.3 * rng.standard_normal((3, 3)), rng.standard_normal((3, 2))
    G = mc.gradient("tr(A X^-1 B)", wrt="X").evaluate({"A": A, "X": X, "B": B})
    print(G)
    Xi = np.linalg.inv(X)
    print("equals -X^-T A^T B^T X^-T:", np.allclose(G, -Xi.T @ A.T @ B.T @ Xi.T))
    """),
    code("""
    # several variables at once
    grads = mc.gradient("1/2 ||sigma(W x + b) - y||_2^2", wrt=["W", "b"])
    print(grads)
    """),
    md(r"""
    ## 5. Hessians

    **Vector variable.** The Hessian is the matrix with $d(\nabla f) = H\, dx$.
    The derivation continues past the gradient: differentiate $\nabla f$ and
    read off $H$.
    """),
    code("""
    h = mc.hessian("1/3 ||x||_2^3", wrt="x")
    h
    """),
    code("""
    print(h.explain())
    """),
    md(r"""
    **Matrix variable.** For $f(X) = \log\det X$, $\nabla f = X^{-\top}$ and
    $d(\nabla f) = -X^{-\top} dX^\top X^{-\top}$: the Hessian is the linear map
    $H[dX] = -X^{-\top} dX^\top X^{-\top}$, i.e.
    $d^2 f = -\operatorname{tr}(X^{-1} dX\, X^{-1} dX)$. In vec form
    ($\operatorname{vec}$ stacks columns, $\operatorname{vec}(AXB) = (B^\top \otimes A)\operatorname{vec} X$)
    it is the $n^2 \times n^2$ matrix $-(X^{-1} \otimes X^{-\top}) K$, with $K$ the
    commutation matrix ($K \operatorname{vec} X = \operatorname{vec} X^\top$).
    """),
    code("""
    h = mc.hessian("log det X", wrt="X")
    print("the map:          ", h)
    print("Kronecker form:   ", h.kron)
    display(Math(r"H = " + h.latex))
    """),
    code("""
    def vec(M):
        return M.ravel(order="F")

    n = 3
    X = np.eye(n) + 0.3 * rng.standard_normal((n, n))
    H = h.evaluate({"X": X})                     # n^2 x n^2, vec layout
    dX = rng.standard_normal((n, n))
    Xi = np.linalg.inv(X)
    print("H shape:", H.shape)
    print("H vec(dX) == vec(-X^-T dX^T X^-T):", np.allclose(H @ vec(dX), vec(-Xi.T @ dX.T @ Xi.T)))
    print("vec(dX)^T H vec(dX) == -tr(X^-1 dX X^-1 dX):",
          np.isclose(vec(dX) @ H @ vec(dX), -np.trace(Xi @ dX @ Xi @ dX)))
    """),
    md(r"""
    With $X$ symmetric positive definite (`assume={"X": "spd"}`) the gradient is
    taken on the space of symmetric matrices and the Hessian is the familiar
    $H[dX] = -X^{-1} dX X^{-1}$. A Hessian-vector product never forms $H$:
    """),
    code("""
    print(mc.hessian("log det X", wrt="X", assume={"X": "spd"}))
    print(mc.hvp("log det X", wrt="X", assume={"X": "spd"}))
    print(mc.hvp("1/2 ||A x - b||_2^2", wrt="x"))
    """),
    md(r"""
    ## 6. Jacobians

    For a vector or matrix function $F$, $dF = J[dX]$; in vec layout
    $\operatorname{vec}(dF) = J \operatorname{vec}(dX)$ with $J$ of size
    $\operatorname{size}(F) \times \operatorname{size}(X)$.
    """),
    code("""
    for F, wrt in [("A x", "x"), ("A x", "A"), ("A X B", "X"), ("X^-1", "X")]:
        J = mc.jacobian(F, wrt=wrt)
        print(f"{F:6} wrt {wrt}:  dF = {J.map}   J = {J.kron}")
    """),
    code("""
    jac = mc.jacobian("A X B", wrt="X")
    A, X, B = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    J = jac.evaluate({"A": A, "X": X, "B": B})
    print(J.shape, "equals B^T kron A:", np.allclose(J, np.kron(B.T, A)))
    jac
    """),
    md(r"""
    Scalar variables have derivatives of any order:
    """),
    code("""
    T = {"t": "scalar"}
    print(mc.derivative("det(A - t I)", wrt="t", shapes=T))
    print(mc.derivative("tanh(t)", wrt="t", order=3, shapes=T))
    """),
    md(r"""
    ## 7. Verification

    `verify()` draws random inputs (respecting the assumptions), and compares the
    derivative with central differences of $f$ along every entry of the
    variable (for a Hessian: of the gradient). It returns a report that is
    true when the check passed.
    """),
    code("""
    print(mc.gradient("tr(A X^-1 B)", wrt="X").verify())
    print(mc.hessian("log det X", wrt="X").verify())
    print(mc.jacobian("X^-1", wrt="X").verify())
    """),
    md(r"""
    ## 8. Checking a student's answer

    `mc.check` says whether an answer is the gradient (or the Hessian), and if
    not, how it is wrong: transposed, off by a factor, right only for
    symmetric matrices, ...
    """),
    code("""
    for f, answer in [("log det X", "X^-1"), ("log det X", "X^-T"), ("tr(A X)", "A"),
                      ("1/2 ||A x - b||_2^2", "2 A^T (A x - b)"), ("tr X^-1", "-X^-2"),
                      ("x^T A x", "2 A x")]:
        wrt = "X" if "X" in f else "x"
        verdict = mc.check(f, wrt=wrt, answer=answer)
        print(f"{f:20} answer {answer:16} -> {verdict}")
        assert bool(verdict) == (answer == "X^-T")
    print(mc.check("1/2 x^T A x", wrt="x", answer="A", kind="hessian"))
    """),
    md(r"""
    ## 9. LaTeX

    Every result has `.latex` (the formula) and renders its derivation in
    Jupyter (`_repr_latex_`), as above.
    """),
    code("""
    g = mc.gradient("ln <x, A x>", wrt="x", assume={"A": "spd"})
    print(g.latex)
    print(mc.differential("ln <x, A x>", wrt="x").latex)
    display(Math(r"\\nabla f = " + g.latex))
    """),
    code("""
    g
    """),
    md(r"""
    ## 10. Where a derivative holds

    $\|x\|_2$ is not differentiable at $0$, $\log$ needs a positive argument,
    $\|W\|_*$ a matrix of full rank... `conditions` lists what must hold, and
    `verify(at=...)` reports a point where it fails.
    """),
    code("""
    for c in mc.gradient("||x||_2 + log det X + ||W||_*", wrt="x").conditions:
        print(c)
    print()
    print(mc.gradient("||x||_2", wrt="x").verify(at={"x": np.array([1.0, 2.0])}))
    print(mc.gradient("||x||_2", wrt="x").verify(at={"x": np.zeros(2)}))
    """),
    md(r"""
    ## 11. Assumptions

    `assume={"A": "symmetric" | "spd" | "diagonal" | "orthogonal"}` simplifies
    results and makes `verify()` draw values that satisfy them. When the
    *variable* is symmetric, the gradient is the symmetric $G$ with
    $df = \langle G, dX\rangle$ for every symmetric $dX$, i.e.
    $\operatorname{sym}(G) = (G + G^\top)/2$ of the unconstrained one.
    """),
    code("""
    print(mc.gradient("1/2 x^T A x", wrt="x"))
    print(mc.gradient("1/2 x^T A x", wrt="x", assume={"A": "symmetric"}))
    print(mc.gradient("log det X", wrt="X"))
    print(mc.gradient("log det X", wrt="X", assume={"X": "spd"}))
    print(mc.gradient("x^T Q^T Q x", wrt="x", assume={"Q": "orthogonal"}))
    """),
    md(r"""
    Next: [the problem set](01_matrix_calculus.ipynb), [the seminar](02_seminar.ipynb),
    [automatic differentiation](03_autodiff.ipynb).
    """),
]


# =====================================================================================
# 01  Section A of the problem set
# =====================================================================================

PROBLEM_SETUP = code(r'''
import numpy as np
from numpy.linalg import det, inv, norm
from IPython.display import display

import matcalc as mc

np.set_printoptions(precision=4, suppress=True, linewidth=100)
rng = np.random.default_rng(2024)


def vector(n):
    return rng.standard_normal(n)


def matrix(m, n):
    return rng.standard_normal((m, n))


def invertible(n):
    """A square matrix with det > 0, far from singular."""
    return np.eye(n) + 0.3 * rng.standard_normal((n, n))


def spd(n):
    B = rng.standard_normal((n, n))
    return B @ B.T + n * np.eye(n)


def symmetric(n):
    B = rng.standard_normal((n, n))
    return (B + B.T) / 2


def sigma(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def vec(M):
    return np.ravel(M, order="F")


def commutation(n):
    """K with K vec(A) = vec(A^T) for n x n matrices A."""
    K = np.zeros((n * n, n * n))
    for i in range(n):
        for j in range(n):
            K[j + i * n, i + j * n] = 1.0
    return K


def derive(result):
    """matcalc's derivation: rendered LaTeX in Jupyter, and the same lines as text."""
    display(result)
    print(result.explain())


def numeric_check(result, closed_form, values):
    """Finite differences (verify) and the closed form of problems.md, in NumPy."""
    report = result.verify()
    print(report)
    got = np.asarray(result.evaluate(values), dtype=float)
    want = np.asarray(closed_form, dtype=float)
    error = np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want)))
    print(f"matcalc vs the closed form of problems.md: max relative difference {error:.1e}")
    assert report, "verify() failed"
    assert got.shape == want.shape, (got.shape, want.shape)
    assert error < 1e-9, error
''')

PROBLEMS = [
    md(r"""
    # The matrix calculus problem set (section A)

    Every problem of section A of the seminar's problem set, solved by matcalc
    by the differential method. For each: the statement, matcalc's derivation
    (rendered in LaTeX, and as plain text), the answer, and two numeric checks:
    `verify()` (central finite differences of $f$ at random points) and the
    closed-form answer of the problem set written in NumPy, evaluated at random
    values and compared with matcalc's result.

    Notation: $x, a, b, c, y$ are column vectors; $A, B, C, S, W, Z$ constant
    matrices; $X$ a matrix variable; $t$ a scalar. $A \in \mathbb{S}^n$: symmetric,
    $\mathbb{S}^n_{++}$: symmetric positive definite.
    $\sigma(z) = 1/(1 + e^{-z})$ (elementwise), $\operatorname{softmax}(z) = e^z / \mathbf 1^\top e^z$.
    Gradients have the shape of the variable; vec stacks columns.
    """),
    PROBLEM_SETUP,
    # ---- P1
    md(r"""
    ## P1

    $f(x) = Ax$, $A \in \mathbb{R}^{m \times n}$. Find the Jacobian with respect to $x$ and the derivative with respect to $A$.

    *Answer (problems.md):* $J_x = A$; $d_A f[dA] = dA\, x$, i.e. $J_A = x^\top \otimes I_m$ ($m \times mn$).
    """),
    code("""
    J = mc.jacobian("A x", wrt="x")
    derive(J)
    A, x = matrix(3, 4), vector(4)
    numeric_check(J, A, {"A": A, "x": x})
    """),
    code("""
    JA = mc.jacobian("A x", wrt="A")
    derive(JA)
    print("Kronecker form:", JA.kron)
    numeric_check(JA, np.kron(x[None, :], np.eye(3)), {"A": A, "x": x})
    """),
    # ---- P2
    md(r"""
    ## P2

    $f(x) = c^\top x$. Find $\nabla f$.

    *Answer:* $c$.
    """),
    code("""
    g = mc.gradient("c^T x", wrt="x")
    derive(g)
    c, x = vector(4), vector(4)
    numeric_check(g, c, {"c": c, "x": x})
    """),
    # ---- P3
    md(r"""
    ## P3

    $f(x) = \frac12 x^\top A x + b^\top x + c$. Find the gradient and the Hessian.

    *Answer:* $\frac12 (A + A^\top) x + b$ and $\frac12 (A + A^\top)$; with $A \in \mathbb{S}^n$: $Ax + b$ and $A$.
    """),
    code("""
    f = "1/2 x^T A x + b^T x + c"
    g = mc.gradient(f, wrt="x")
    derive(g)
    A, x, b, c = matrix(4, 4), vector(4), vector(4), 0.7
    values = {"A": A, "x": x, "b": b, "c": c}
    numeric_check(g, (A + A.T) @ x / 2 + b, values)
    """),
    code("""
    h = mc.hessian(f, wrt="x")
    print(h.explain())
    numeric_check(h, (A + A.T) / 2, values)
    """),
    code("""
    gs = mc.gradient(f, wrt="x", assume={"A": "symmetric"})
    hs = mc.hessian(f, wrt="x", assume={"A": "symmetric"})
    print("A symmetric:  gradient", gs, "   Hessian", hs)
    S = symmetric(4)
    numeric_check(gs, S @ x + b, {**values, "A": S})
    numeric_check(hs, S, {**values, "A": S})
    """),
    # ---- P4
    md(r"""
    ## P4

    $f(x) = -\exp(-x^\top x)$. Find the gradient and the Hessian.

    *Answer:* $2 e^{-x^\top x} x$ and $2 e^{-x^\top x}(I - 2 x x^\top)$.
    """),
    code("""
    h = mc.hessian("-exp(-x^T x)", wrt="x")
    derive(h)
    x = 0.5 * vector(4)
    numeric_check(h.gradient, 2 * np.exp(-x @ x) * x, {"x": x})
    numeric_check(h, 2 * np.exp(-x @ x) * (np.eye(4) - 2 * np.outer(x, x)), {"x": x})
    """),
    # ---- P5
    md(r"""
    ## P5

    $f(x) = \frac12 \|Ax - b\|_2^2$. Find the gradient and the Hessian.

    *Answer:* $A^\top(Ax - b)$ and $A^\top A$.
    """),
    code("""
    h = mc.hessian("1/2 ||A x - b||_2^2", wrt="x")
    derive(h)
    A, x, b = matrix(5, 3), vector(3), vector(5)
    values = {"A": A, "x": x, "b": b}
    numeric_check(h.gradient, A.T @ (A @ x - b), values)
    numeric_check(h, A.T @ A, values)
    """),
    # ---- P6
    md(r"""
    ## P6

    $f(x) = \|x\|_2$, $x \ne 0$. Find $\nabla f$.

    *Answer:* $x / \|x\|_2$.
    """),
    code("""
    g = mc.gradient("||x||_2", wrt="x")
    derive(g)
    print("holds where:", *g.conditions)
    x = vector(4)
    numeric_check(g, x / norm(x), {"x": x})
    """),
    # ---- P7
    md(r"""
    ## P7

    $f(x) = \|Ax\|_2$. Find $\nabla f$.

    *Answer:* $A^\top A x / \|Ax\|_2$.
    """),
    code("""
    g = mc.gradient("||A x||_2", wrt="x")
    derive(g)
    A, x = matrix(5, 3), vector(3)
    numeric_check(g, A.T @ A @ x / norm(A @ x), {"A": A, "x": x})
    """),
    # ---- P8
    md(r"""
    ## P8

    $f(x) = -1 / (1 + x^\top x)$. Find the gradient and the Hessian.

    *Answer:* $2x / (1 + x^\top x)^2$ and $2I / (1 + x^\top x)^2 - 8 x x^\top / (1 + x^\top x)^3$.
    """),
    code("""
    h = mc.hessian("-1 / (1 + x^T x)", wrt="x")
    derive(h)
    x = vector(4)
    s = 1 + x @ x
    numeric_check(h.gradient, 2 * x / s**2, {"x": x})
    numeric_check(h, 2 * np.eye(4) / s**2 - 8 * np.outer(x, x) / s**3, {"x": x})
    """),
    # ---- P9
    md(r"""
    ## P9

    $f(x) = \log(x^\top A x)$. Find the differential and the gradient.

    *Answer:* $df = \langle (A + A^\top)x, dx\rangle / (x^\top A x)$, $\nabla f = (A + A^\top) x / (x^\top A x)$.
    """),
    code("""
    g = mc.gradient("log(x^T A x)", wrt="x")
    derive(g)
    print(g.differential)
    A, x = spd(4) + 0.5 * matrix(4, 4), vector(4)     # a general A with x^T A x > 0
    numeric_check(g, (A + A.T) @ x / (x @ A @ x), {"A": A, "x": x})
    """),
    # ---- P10
    md(r"""
    ## P10

    $f(X) = \det X$. Find $\nabla f$.

    *Answer:* $\det(X) X^{-\top}$.
    """),
    code("""
    g = mc.gradient("det X", wrt="X")
    derive(g)
    X = invertible(4)
    numeric_check(g, det(X) * inv(X).T, {"X": X})
    """),
    # ---- P11
    md(r"""
    ## P11

    $f(X) = \log\det X$, $X \in \mathbb{S}^n_{++}$. Find the gradient and the Hessian.

    *Answer:* $X^{-\top}$; $d^2 f = -\operatorname{tr}(X^{-1} dX X^{-1} dX)$, i.e.
    $H[dX] = -X^{-\top} dX^\top X^{-\top}$, in vec form $-(X^{-1} \otimes X^{-\top}) K$ ($K$ the commutation matrix).

    Without assumptions on $X$ (any $X$ with $\det X > 0$) matcalc finds exactly
    these. Declaring $X$ symmetric positive definite, the gradient is taken on
    the space of symmetric matrices, $X^{-1}$ ($= X^{-\top}$ there), and the
    Hessian is $H[dX] = -X^{-1} dX X^{-1}$; on symmetric directions $dX$ both
    give the same $d^2 f$.
    """),
    code("""
    h = mc.hessian("log det X", wrt="X")
    derive(h)
    print("H[dX] =", h.map, "   vec form:", h.kron)
    X = invertible(3)
    numeric_check(h.gradient, inv(X).T, {"X": X})
    numeric_check(h, -np.kron(inv(X), inv(X).T) @ commutation(3), {"X": X})
    """),
    code("""
    hs = mc.hessian("log det X", wrt="X", assume={"X": "spd"})
    print("X spd: gradient", hs.gradient, "   H[dX] =", hs.map, "   vec form:", hs.kron)
    print(hs.gradient.verify(), hs.verify(), sep="\\n")
    X, dX = spd(3), symmetric(3)
    H = hs.evaluate({"X": X})
    print("d^2 f = -tr(X^-1 dX X^-1 dX) on a symmetric dX:",
          np.isclose(vec(dX) @ H @ vec(dX), -np.trace(inv(X) @ dX @ inv(X) @ dX)))
    assert np.isclose(vec(dX) @ H @ vec(dX), -np.trace(inv(X) @ dX @ inv(X) @ dX))
    assert np.allclose(hs.gradient.evaluate({"X": X}), inv(X))
    """),
    # ---- P12
    md(r"""
    ## P12

    $f(x) = \log \sum_i \exp(a_i^\top x + b_i) = \log(\mathbf 1^\top \exp(Ax + b))$ (the rows of $A$ are $a_i^\top$).
    Find the gradient and the Hessian.

    *Answer:* $A^\top p$ and $A^\top(\operatorname{diag}(p) - p p^\top) A$ with $p = \operatorname{softmax}(Ax + b)$.
    """),
    code("""
    h = mc.hessian("log(sum(exp(A x + b)))", wrt="x")
    derive(h)
    A, x, b = matrix(5, 3), vector(3), vector(5)
    p = softmax(A @ x + b)
    values = {"A": A, "x": x, "b": b}
    numeric_check(h.gradient, A.T @ p, values)
    numeric_check(h, A.T @ (np.diag(p) - np.outer(p, p)) @ A, values)
    """),
    # ---- P13
    md(r"""
    ## P13

    How are the gradient, the Jacobian and the Hessian related?

    *Answer.* For a scalar $f: \mathbb{R}^n \to \mathbb{R}$ the Jacobian is the
    $1 \times n$ row $J_f = (\nabla f)^\top$: the gradient is the transposed
    Jacobian, the column with $df = \langle \nabla f, dx\rangle = J_f\, dx$. For a
    vector function $F: \mathbb{R}^n \to \mathbb{R}^m$ the Jacobian is the
    $m \times n$ matrix with $dF = J\, dx$; its rows are the transposed gradients
    of the components $F_i$. The Hessian of $f$ is the Jacobian of the gradient
    (transposed, which changes nothing when $f$ is twice continuously
    differentiable, since $H$ is then symmetric):
    $d(\nabla f) = H\, dx$, $H = J_{\nabla f}$, $H_{ij} = \partial^2 f / \partial x_i \partial x_j$.
    For a matrix variable the same holds in vec layout.

    *With matcalc:* the Jacobian of the scalar $f$ is the transposed gradient, and
    the Jacobian of the gradient is the Hessian.
    """),
    code("""
    f = "ln(1 + exp(<a, x>))"
    g = mc.gradient(f, wrt="x")
    J = mc.jacobian(f, wrt="x")
    H = mc.hessian(f, wrt="x")
    JG = mc.jacobian(g.expr, wrt="x")        # the Jacobian of the gradient
    print("gradient:              ", g)
    print("Jacobian of f:         ", J)
    print("Jacobian of the gradient:", JG)
    print("Hessian:               ", H)
    a, x = vector(4), vector(4)
    values = {"a": a, "x": x}
    assert np.allclose(J.evaluate(values), g.evaluate(values)[None, :])
    assert np.allclose(JG.evaluate(values), H.evaluate(values))
    s = sigma(a @ x)
    numeric_check(H, s * (1 - s) * np.outer(a, a), values)
    print(JG.verify())
    """),
    # ---- P14
    md(r"""
    ## P14

    Find the gradients of $\sum_i \lambda_i(X) = \operatorname{tr} X$, $\prod_i \lambda_i(X) = \det X$, $\operatorname{tr} X$, $\det X$.

    *Answer:* $I$, $\det(X) X^{-\top}$, $I$, $\det(X) X^{-\top}$.
    """),
    code("""
    X = invertible(4)
    for f, closed in [("sum(eig(X))", np.eye(4)), ("prod(eig(X))", det(X) * inv(X).T),
                      ("tr X", np.eye(4)), ("det X", det(X) * inv(X).T)]:
        g = mc.gradient(f, wrt="X")
        print(f"{f:14} ->  {g}")
        numeric_check(g, closed, {"X": X})
    """),
    code("""
    derive(mc.gradient("prod(eig(X))", wrt="X"))
    """),
    # ---- P15
    md(r"""
    ## P15

    $f(X) = \|X\|_F^2$. Find $\nabla f$.

    *Answer:* $2X$.
    """),
    code("""
    g = mc.gradient("||X||_F^2", wrt="X")
    derive(g)
    X = matrix(3, 4)
    numeric_check(g, 2 * X, {"X": X})
    """),
    # ---- P16
    md(r"""
    ## P16

    Binary logistic regression:
    $L(\theta) = -\sum_i \left[y_i \log \sigma(\theta^\top x_i) + (1 - y_i) \log(1 - \sigma(\theta^\top x_i))\right]$,
    data matrix $Z$ with rows $x_i^\top$, labels $y \in \{0, 1\}^m$. Find $\nabla L$.

    *Answer:* $Z^\top(\sigma(Z\theta) - y)$.

    Below, the loss typed as stated; then the same loss in the numerically
    stable form used in practice: since $\log\sigma(z) = -\operatorname{softplus}(-z)$ and
    $\log(1 - \sigma(z)) = -\operatorname{softplus}(z)$, with $\operatorname{softplus}(z) = \log(1 + e^z)$,
    $L = \mathbf 1^\top \operatorname{softplus}(Z\theta) - y^\top Z\theta$.
    """),
    code("""
    shapes = {"theta": "vector"}
    Z, theta = matrix(6, 3), vector(3)
    y = (rng.random(6) < 0.5).astype(float)
    values = {"Z": Z, "theta": theta, "y": y}
    closed = Z.T @ (sigma(Z @ theta) - y)
    g = mc.gradient("-sum(y .* log(sigma(Z theta)) + (1 - y) .* log(1 - sigma(Z theta)))",
                    wrt="theta", shapes=shapes)
    derive(g)
    numeric_check(g, closed, values)
    """),
    code("""
    g = mc.gradient("sum(softplus(Z theta)) - y^T Z theta", wrt="theta", shapes=shapes)
    print(g.explain())
    numeric_check(g, closed, values)
    """),
    # ---- P17
    md(r"""
    ## P17

    $f(X) = \operatorname{tr}(AX)$. Find $\nabla f$.

    *Answer:* $A^\top$.
    """),
    code("""
    g = mc.gradient("tr(A X)", wrt="X")
    derive(g)
    A, X = matrix(3, 4), matrix(4, 3)
    numeric_check(g, A.T, {"A": A, "X": X})
    """),
    # ---- P18
    md(r"""
    ## P18

    $f(X) = \langle S, X\rangle - \log\det X$. Find $\nabla f$.

    *Answer:* $S - X^{-\top}$.
    """),
    code("""
    g = mc.gradient("<S, X> - log det X", wrt="X")
    derive(g)
    S, X = matrix(4, 4), spd(4)
    numeric_check(g, S - inv(X).T, {"S": S, "X": X})
    """),
    # ---- P19
    md(r"""
    ## P19

    $f(x) = \ln \langle Ax, x\rangle$, $A \in \mathbb{S}^n_{++}$. Find $\nabla f$.

    *Answer:* $2Ax / \langle Ax, x\rangle$ (general $A$: $(A + A^\top)x / \langle Ax, x\rangle$).
    """),
    code("""
    g = mc.gradient("ln <A x, x>", wrt="x", assume={"A": "spd"})
    derive(g)
    A, x = spd(4), vector(4)
    numeric_check(g, 2 * A @ x / (A @ x @ x), {"A": A, "x": x})
    """),
    code("""
    g = mc.gradient("ln <A x, x>", wrt="x")
    print("general A:", g)
    A = spd(4) + 0.5 * matrix(4, 4)
    numeric_check(g, (A + A.T) @ x / (A @ x @ x), {"A": A, "x": x})
    """),
    # ---- P20
    md(r"""
    ## P20

    $f(x) = \ln(1 + \exp\langle a, x\rangle)$. Find the gradient and the Hessian.

    *Answer:* $\sigma(a^\top x)\, a$ and $\sigma(a^\top x)(1 - \sigma(a^\top x))\, a a^\top$.
    """),
    code("""
    h = mc.hessian("ln(1 + exp(<a, x>))", wrt="x")
    derive(h)
    a, x = vector(4), vector(4)
    s = sigma(a @ x)
    numeric_check(h.gradient, s * a, {"a": a, "x": x})
    numeric_check(h, s * (1 - s) * np.outer(a, a), {"a": a, "x": x})
    """),
    # ---- P21
    md(r"""
    ## P21

    $f(x) = \frac13 \|x\|_2^3$. Find the gradient and the Hessian.

    *Answer:* $\|x\|_2\, x$ and $\|x\|_2 I + x x^\top / \|x\|_2$.
    """),
    code("""
    h = mc.hessian("1/3 ||x||_2^3", wrt="x")
    derive(h)
    x = vector(4)
    numeric_check(h.gradient, norm(x) * x, {"x": x})
    numeric_check(h, norm(x) * np.eye(4) + np.outer(x, x) / norm(x), {"x": x})
    """),
    # ---- P22
    md(r"""
    ## P22

    $f(X) = \|AX - B\|_F$ with $X \in \mathbb{R}^{k \times n}$, $A \in \mathbb{R}^{m \times k}$, $B \in \mathbb{R}^{m \times n}$. Find $\nabla f$.

    *Answer:* $A^\top(AX - B) / \|AX - B\|_F$.
    """),
    code("""
    g = mc.gradient("||A X - B||_F", wrt="X", shapes={"X": ("k", "n"), "A": ("m", "k"), "B": ("m", "n")})
    derive(g)
    A, X, B = matrix(4, 2), matrix(2, 3), matrix(4, 3)
    numeric_check(g, A.T @ (A @ X - B) / norm(A @ X - B), {"A": A, "X": X, "B": B})
    """),
    # ---- P23
    md(r"""
    ## P23

    One-layer network: $L(W, b) = \frac12 \|\sigma(Wx + b) - y\|_2^2$. Find the gradients with respect to $W$ and $b$.

    *Answer:* with $s = \sigma(Wx + b)$ and $\delta = (s - y) \odot s \odot (1 - s)$:
    $\partial L / \partial W = \delta x^\top$, $\partial L / \partial b = \delta$.
    """),
    code("""
    grads = mc.gradient("1/2 ||sigma(W x + b) - y||_2^2", wrt=["W", "b"])
    display(grads)
    print(grads["W"].explain())
    W, x, b, y = matrix(3, 4), vector(4), vector(3), vector(3)
    values = {"W": W, "x": x, "b": b, "y": y}
    s = sigma(W @ x + b)
    delta = (s - y) * s * (1 - s)
    numeric_check(grads["W"], np.outer(delta, x), values)
    numeric_check(grads["b"], delta, values)
    """),
    # ---- P24
    md(r"""
    ## P24

    $f(x) = \langle x, x\rangle^{\langle x, x\rangle}$, $x \ne 0$. Find the gradient and the Hessian.

    *Answer:* with $u = x^\top x$: $2 u^u (1 + \ln u)\, x$ and
    $2 u^u (1 + \ln u) I + 4 u^u\left((1 + \ln u)^2 + 1/u\right) x x^\top$.
    """),
    code("""
    h = mc.hessian("<x, x>^<x, x>", wrt="x")
    derive(h)
    x = 0.6 * vector(3)
    u, L = x @ x, 1 + np.log(x @ x)
    numeric_check(h.gradient, 2 * u**u * L * x, {"x": x})
    numeric_check(h, 2 * u**u * L * np.eye(3) + 4 * u**u * (L**2 + 1 / u) * np.outer(x, x), {"x": x})
    """),
    # ---- P25
    md(r"""
    ## P25

    The Rayleigh quotient $f(x) = \langle Ax, x\rangle / \|x\|_2^2$, $A \in \mathbb{S}^n$. Find the gradient and the Hessian.

    *Answer:* with $s = x^\top x$ and $f$ the value: $2(Ax - f x)/s$ and
    $2(A - fI)/s - 4\left(x (Ax - fx)^\top + (Ax - fx) x^\top\right)/s^2$.
    """),
    code("""
    h = mc.hessian("<A x, x> / ||x||_2^2", wrt="x", assume={"A": "symmetric"})
    derive(h)
    A, x = symmetric(4), vector(4)
    s = x @ x
    fx = A @ x @ x / s
    r = A @ x - fx * x
    numeric_check(h.gradient, 2 * r / s, {"A": A, "x": x})
    numeric_check(h, 2 * (A - fx * np.eye(4)) / s - 4 * (np.outer(x, r) + np.outer(r, x)) / s**2,
                  {"A": A, "x": x})
    """),
    # ---- P26
    md(r"""
    ## P26

    $f(x) = \frac12 \|A - x x^\top\|_F^2$, $A \in \mathbb{S}^n$. Find the gradient and the Hessian.

    *Answer:* $2 (x^\top x) x - 2Ax$ and $2 (x^\top x) I + 4 x x^\top - 2A$.
    """),
    code("""
    h = mc.hessian("1/2 ||A - x x^T||_F^2", wrt="x", assume={"A": "symmetric"})
    derive(h)
    A, x = symmetric(4), vector(4)
    numeric_check(h.gradient, 2 * (x @ x) * x - 2 * A @ x, {"A": A, "x": x})
    numeric_check(h, 2 * (x @ x) * np.eye(4) + 4 * np.outer(x, x) - 2 * A, {"A": A, "x": x})
    """),
    # ---- P27
    md(r"""
    ## P27

    $f(x) = \|x x^\top\|_2$ (spectral norm). Find the gradient and the Hessian.

    *Answer:* $f = x^\top x$, so $2x$ and $2I$.
    """),
    code("""
    h = mc.hessian("||x x^T||_2", wrt="x")
    derive(h)
    x = vector(4)
    numeric_check(h.gradient, 2 * x, {"x": x})
    numeric_check(h, 2 * np.eye(4), {"x": x})
    """),
    # ---- P28
    md(r"""
    ## P28

    $\ell_2$-regularized logistic loss $f(x) = \frac1m \sum_i \log(1 + \exp(a_i^\top x)) + \frac\mu2 \|x\|_2^2$. Find the gradient and the Hessian.

    *Answer:* $\frac1m A^\top \sigma(Ax) + \mu x$ and $\frac1m A^\top \operatorname{diag}(\sigma(Ax) \odot (1 - \sigma(Ax))) A + \mu I$.
    """),
    code("""
    h = mc.hessian("1/m sum(log(1 + exp(A x))) + mu/2 ||x||_2^2", wrt="x", shapes={"m": "scalar"})
    derive(h)
    A, x, mu = matrix(6, 3), vector(3), 0.1
    values = {"A": A, "x": x, "m": 6.0, "mu": mu}
    s = sigma(A @ x)
    numeric_check(h.gradient, A.T @ s / 6 + mu * x, values)
    numeric_check(h, A.T @ np.diag(s * (1 - s)) @ A / 6 + mu * np.eye(3), values)
    """),
    # ---- P29
    md(r"""
    ## P29

    Match $\operatorname{tr} X$, $\operatorname{tr} X^{-1}$, $\det X$, $\ln\det X$ to their gradients.

    *Answer:* $I$, $-(X^{-2})^\top$, $\det(X) X^{-\top}$, $X^{-\top}$.

    *In words.* $d\operatorname{tr} X = \operatorname{tr} dX = \langle I, dX\rangle$, so the
    trace has the identity as gradient. $d\operatorname{tr}X^{-1} = -\operatorname{tr}(X^{-1} dX X^{-1})
    = -\operatorname{tr}(X^{-2} dX) = \langle -(X^{-2})^\top, dX\rangle$. The determinant:
    $d \det X = \det X \operatorname{tr}(X^{-1} dX)$ (Jacobi's formula), gradient
    $\det(X) X^{-\top}$; dividing by $\det X$, $d\ln\det X = \langle X^{-\top}, dX\rangle$.
    The transposes matter unless $X$ is symmetric.
    """),
    code("""
    X = invertible(4)
    Xi = inv(X)
    for f, closed in [("tr X", np.eye(4)), ("tr X^-1", -(Xi @ Xi).T),
                      ("det X", det(X) * Xi.T), ("ln det X", Xi.T)]:
        g = mc.gradient(f, wrt="X")
        print(f"{f:9} -> {g}")
        numeric_check(g, closed, {"X": X})
    """),
    code("""
    derive(mc.gradient("tr X^-1", wrt="X"))
    """),
    code("""
    # a student's matching, checked: which answers are right?
    student = {"tr X": "I", "tr X^-1": "-X^-2", "det X": "det(X) X^-T", "ln det X": "X^-1"}
    verdicts = {}
    for f, answer in student.items():
        verdicts[f] = mc.check(f, wrt="X", answer=answer)
        print(f"{f:9} <- {answer:12}  {verdicts[f]}")
    assert [bool(v) for v in verdicts.values()] == [True, False, True, False]
    """),
    # ---- P30
    md(r"""
    ## P30

    $f(t) = \det(A - tI)$. Find $f'$ and $f''$.

    *Answer:* $f'(t) = -\det(A - tI) \operatorname{tr}((A - tI)^{-1})$,
    $f''(t) = \det(A - tI)\left(\operatorname{tr}((A - tI)^{-1})^2 - \operatorname{tr}((A - tI)^{-2})\right)$.
    """),
    code("""
    T = {"t": "scalar"}
    d1 = mc.derivative("det(A - t I)", wrt="t", shapes=T)
    d2 = mc.derivative("det(A - t I)", wrt="t", order=2, shapes=T)
    print("f'  =", d1)
    print("f'' =", d2)
    display(d2)
    A, t = invertible(4), 0.3
    M = inv(A - t * np.eye(4))
    D = det(A - t * np.eye(4))
    numeric_check(d1, -D * np.trace(M), {"A": A, "t": t})
    numeric_check(d2, D * (np.trace(M) ** 2 - np.trace(M @ M)), {"A": A, "t": t})
    """),
    # ---- P31
    md(r"""
    ## P31

    $f(X) = \operatorname{tr}(A X^2 B X^{-\top})$. Find $\nabla f$.

    *Answer:* $A^\top X^{-1} B^\top X^\top + X^\top A^\top X^{-1} B^\top - X^{-\top} A X^2 B X^{-\top}$.
    """),
    code("""
    g = mc.gradient("tr(A X^2 B X^-T)", wrt="X")
    derive(g)
    A, B, X = matrix(3, 3), matrix(3, 3), invertible(3)
    Xi = inv(X)
    numeric_check(g, A.T @ Xi @ B.T @ X.T + X.T @ A.T @ Xi @ B.T - Xi.T @ A @ X @ X @ B @ Xi.T,
                  {"A": A, "B": B, "X": X})
    """),
]


# =====================================================================================
# 02  Section B: the seminar
# =====================================================================================

SEMINAR = [
    md(r"""
    # Seminar: the differential method (section B)

    The seminar's way: never differentiate entry by entry. Write the
    differential $df$ with the rules
    $d(XY) = dX\,Y + X\,dY$, $d(X^{-1}) = -X^{-1}dX\,X^{-1}$, $d\operatorname{tr}X = \operatorname{tr}dX$,
    $d\det X = \det X\,\langle X^{-\top}, dX\rangle$, $d\ln u = du/u$, ...;
    rearrange it into the form $df = \langle \nabla f, dx\rangle$; read off the gradient.
    For the Hessian, do it once more: $d(\nabla f) = \nabla^2 f\, dx$.

    Each problem: the solution as written at the blackboard, then matcalc's
    derivation line by line (its rule on the right), then a numeric check.
    """),
    code(r'''
    import numpy as np
    from numpy.linalg import det, inv, norm
    from IPython.display import display

    import matcalc as mc

    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(7)


    def numeric_check(result, closed_form, values):
        """verify() (finite differences) and the seminar's answer, in NumPy."""
        report = result.verify()
        got = np.asarray(result.evaluate(values), dtype=float)
        want = np.asarray(closed_form, dtype=float)
        error = np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want)))
        print(report)
        print(f"matcalc vs the seminar's answer: max relative difference {error:.1e}")
        assert report and got.shape == want.shape and error < 1e-9
    '''),
    md(r"""
    ## S1

    $f(x) = \frac12 x^\top A x + b^\top x + c$. Find $\nabla f$.

    $$
    \begin{aligned}
    df &= \tfrac12\, d(x^\top A x) + d(b^\top x) + dc
        = \tfrac12 \left(dx^\top A x + x^\top A\, dx\right) + b^\top dx \\
       &= \tfrac12 \left(x^\top A^\top dx + x^\top A\, dx\right) + b^\top dx
        = \left\langle \tfrac12 (A + A^\top) x + b,\ dx \right\rangle
    \end{aligned}
    \qquad\Longrightarrow\qquad \nabla f = \tfrac12 (A + A^\top) x + b.
    $$

    ($dx^\top A x$ is a scalar, equal to its transpose $x^\top A^\top dx$.)
    """),
    code("""
    g = mc.gradient("1/2 x^T A x + b^T x + c", wrt="x")
    display(g)
    print(g.explain())
    A, x, b = rng.standard_normal((4, 4)), rng.standard_normal(4), rng.standard_normal(4)
    numeric_check(g, (A + A.T) @ x / 2 + b, {"A": A, "x": x, "b": b, "c": 1.5})
    """),
    md(r"""
    ## S2

    $f(X) = \operatorname{tr}(A X^{-1} B)$. Find $\nabla f$.

    $$
    \begin{aligned}
    df &= \operatorname{tr}\left(A\, d(X^{-1})\, B\right) = -\operatorname{tr}\left(A X^{-1}\, dX\, X^{-1} B\right) \\
       &= -\operatorname{tr}\left(X^{-1} B A X^{-1}\, dX\right)
        = \left\langle -\left(X^{-1} B A X^{-1}\right)^\top,\ dX \right\rangle
    \end{aligned}
    \qquad\Longrightarrow\qquad \nabla f = -X^{-\top} A^\top B^\top X^{-\top}.
    $$
    """),
    code("""
    g = mc.gradient("tr(A X^-1 B)", wrt="X")
    display(g)
    print(g.explain())
    A, B = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    X = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    Xi = inv(X)
    numeric_check(g, -Xi.T @ A.T @ B.T @ Xi.T, {"A": A, "X": X, "B": B})
    """),
    md(r"""
    ## S3

    $f(x) = \frac13 \|x\|_2^3$. Find the gradient and the Hessian.

    $$
    df = \tfrac13 \cdot 3 \|x\|_2^2\, d\|x\|_2 = \|x\|_2^2 \frac{\langle x, dx\rangle}{\|x\|_2}
       = \left\langle \|x\|_2\, x,\ dx \right\rangle
    \qquad\Longrightarrow\qquad \nabla f = \|x\|_2\, x,
    $$

    $$
    d(\nabla f) = d\|x\|_2\; x + \|x\|_2\, dx = \frac{x\, x^\top dx}{\|x\|_2} + \|x\|_2\, dx
    \qquad\Longrightarrow\qquad \nabla^2 f = \|x\|_2 I + \frac{x x^\top}{\|x\|_2}\quad (x \ne 0).
    $$
    """),
    code("""
    h = mc.hessian("1/3 ||x||_2^3", wrt="x")
    display(h)
    print(h.explain())
    x = rng.standard_normal(4)
    numeric_check(h.gradient, norm(x) * x, {"x": x})
    numeric_check(h, norm(x) * np.eye(4) + np.outer(x, x) / norm(x), {"x": x})
    """),
    md(r"""
    ## S4

    $f(x) = \ln\langle x, Ax\rangle$, $A \in \mathbb{S}^n_{++}$. Find the differential and the gradient.

    $$
    df = \frac{d\langle x, Ax\rangle}{\langle x, Ax\rangle}
       = \frac{\langle dx, Ax\rangle + \langle x, A\,dx\rangle}{\langle x, Ax\rangle}
       = \frac{\langle (A + A^\top)x,\ dx\rangle}{\langle x, Ax\rangle}
    \qquad\Longrightarrow\qquad \nabla f = \frac{(A + A^\top) x}{\langle x, Ax\rangle} = \frac{2Ax}{\langle x, Ax\rangle}\ \ (A = A^\top).
    $$
    """),
    code("""
    print(mc.differential("ln <x, A x>", wrt="x"))
    g = mc.gradient("ln <x, A x>", wrt="x", assume={"A": "spd"})
    display(g)
    print(g.explain())
    print(g.differential)
    B = rng.standard_normal((4, 4))
    A, x = B @ B.T + 4 * np.eye(4), rng.standard_normal(4)
    numeric_check(g, (A + A.T) @ x / (x @ A @ x), {"A": A, "x": x})
    """),
    md(r"""
    ## S5

    $f(X) = \operatorname{tr} X$. Find $\nabla f$.

    $$
    df = \operatorname{tr} dX = \operatorname{tr}(I^\top dX) = \langle I, dX\rangle
    \qquad\Longrightarrow\qquad \nabla f = I.
    $$
    """),
    code("""
    g = mc.gradient("tr X", wrt="X")
    display(g)
    print(g.explain())
    numeric_check(g, np.eye(3), {"X": rng.standard_normal((3, 3))})
    """),
    md(r"""
    ## S6

    $f(X) = \langle S, X\rangle - \ln\det X$. Find $\nabla f$.

    $$
    df = \langle S, dX\rangle - \frac{d\det X}{\det X}
       = \langle S, dX\rangle - \frac{\det X\, \langle X^{-\top}, dX\rangle}{\det X}
       = \left\langle S - X^{-\top},\ dX\right\rangle
    \qquad\Longrightarrow\qquad \nabla f = S - X^{-\top}.
    $$

    Setting it to zero gives the maximum-likelihood covariance estimate of a
    Gaussian: $X^{-1} = S$ when $S$ is a sample covariance and $X$ the precision matrix.
    """),
    code("""
    g = mc.gradient("<S, X> - ln det X", wrt="X")
    display(g)
    print(g.explain())
    S, X = rng.standard_normal((3, 3)), np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    numeric_check(g, S - inv(X).T, {"S": S, "X": X})
    """),
]


# =====================================================================================
# 03  Section C: automatic differentiation
# =====================================================================================

AUTODIFF = [
    md(r"""
    # Automatic differentiation and matcalc (section C)

    Automatic differentiation (AD) computes exact derivatives of *programs* by
    the chain rule, operation by operation; matcalc derives *formulas*. This
    notebook uses `autograd`, JAX and PyTorch (the `notebooks` extra:
    `pip install -e ".[notebooks]"`), all in float64 on the CPU, and compares
    them with matcalc's closed forms: the values agree, and the closed forms
    are usually faster.

    Timings are wall-clock on the machine that executed the notebook (2 CPU
    cores when committed), with one thread for each library (set in the first
    cell), so that the thread pools of NumPy, JAX and PyTorch, which share this
    process, do not compete. Each timing is the best of 5 runs (of 2 for a call
    over 0.25 s) after a warm-up call, so JAX's compilation time is excluded.
    """),
    code(r'''
    import os

    # One thread for each library: NumPy (OpenBLAS), JAX (XLA) and PyTorch share this process,
    # and their thread pools would otherwise compete for the same cores and blur the timings.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

    import inspect
    import time
    import timeit
    import warnings
    from math import factorial

    import numpy as np
    import matplotlib
    import matplotlib.pyplot as plt

    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import torch

    import matcalc as mc

    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    np.set_printoptions(precision=4, suppress=True)
    plt.rcParams.update({"figure.dpi": 72, "font.size": 9})
    print(f"jax {jax.__version__}, torch {torch.__version__}, numpy {np.__version__}")


    try:
        from matcalc.backends.code import numpy_source, to_numpy
        MATCALC_PATH = "matcalc.codegen.to_numpy (generated NumPy code)"
    except ImportError:
        numpy_source = to_numpy = None
        MATCALC_PATH = "result.evaluate (matcalc.codegen is not available)"
    print("matcalc results are evaluated with", MATCALC_PATH)


    def numpy_code(result):
        """A function computing a matcalc result, with the inputs as keyword arguments:
        matcalc's generated NumPy code when matcalc.codegen exists, else result.evaluate."""
        if to_numpy is None:
            return lambda **values: result.evaluate(values)
        return to_numpy(result)


    def arguments(fn, values):
        """The entries of values that fn takes."""
        params = inspect.signature(fn).parameters
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return dict(values)
        return {name: values[name] for name in params}


    def show_code(result):
        if numpy_source is not None:
            print(numpy_source(result))


    def best_time(fn, repeat=5, budget=0.02):
        """Best time of one call over `repeat` runs (2 for calls over 0.25 s), after a
        warm-up call (JIT compilation)."""
        fn()
        start = time.perf_counter()
        fn()
        once = time.perf_counter() - start
        if once > 0.25:
            return min(once, *timeit.repeat(fn, number=1, repeat=1))
        number = max(1, int(budget / max(once, 1e-7)))
        return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


    def max_rel_diff(a, b):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return float(np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(b))))
    '''),
    # ---- AD1
    md(r"""
    ## AD1

    The gradient of a Taylor polynomial of $\cos x$ with the `autograd` library,
    compared with $-\sin x$.

    $T_N(x) = \sum_{k=0}^{N} (-1)^k \dfrac{x^{2k}}{(2k)!}$; its derivative
    $T_N'(x) = \sum_{k=1}^{N} (-1)^k \dfrac{x^{2k-1}}{(2k-1)!}$ is the Taylor
    polynomial of $-\sin x$, so the error on $[-\pi, \pi]$ falls like $\pi^{2N+1}/(2N+1)!$.
    """),
    code("""
    import autograd.numpy as anp
    from autograd import elementwise_grad


    def cos_taylor(x, N):
        return sum((-1) ** k * x ** (2 * k) / factorial(2 * k) for k in range(N + 1))


    xs = np.linspace(-np.pi, np.pi, 201)
    for N in (2, 4, 6, 8, 10):
        d = elementwise_grad(cos_taylor)(xs, N)
        print(f"N = {N:2d}:  max |T_N'(x) + sin x| on [-pi, pi] = {np.max(np.abs(d + np.sin(xs))):.1e}")
    d10 = elementwise_grad(cos_taylor)(xs, 10)
    assert np.max(np.abs(d10 + np.sin(xs))) < 1e-8
    """),
    code("""
    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.plot(xs, -np.sin(xs), "k", lw=3, alpha=0.3, label="$-\\\\sin x$")
    for N in (1, 2, 3):
        ax.plot(xs, elementwise_grad(cos_taylor)(xs, N), label=f"autograd: $T_{N}'(x)$")
    ax.set_ylim(-2, 2); ax.set_xlabel("x"); ax.legend(fontsize=8); ax.set_title("AD1")
    plt.show()
    """),
    md(r"""
    matcalc differentiates the polynomial symbolically (a scalar variable $t$):
    """),
    code("""
    T4 = "1" + "".join(f" {'+-'[k % 2]} 1/{factorial(2 * k)} t^{2 * k}" for k in range(1, 5))
    d = mc.derivative(T4, wrt="t", shapes={"t": "scalar"})
    print("f  =", d.base)
    print("f' =", d)
    t = 0.7
    print("at t = 0.7:", d.evaluate({"t": t}), " autograd:", elementwise_grad(cos_taylor)(t, 4),
          " -sin:", -np.sin(t))
    assert np.isclose(d.evaluate({"t": t}), elementwise_grad(cos_taylor)(t, 4))
    """),
    # ---- AD2
    md(r"""
    ## AD2

    Gradient descent for linear regression,
    $f(w) = \frac{1}{2m}\|Aw - y\|_2^2$ with $A \in \mathbb{R}^{m \times d}$:
    the manual gradient (derived by matcalc) versus autodiff (PyTorch and JAX).
    The data: $m = n$ observations, $d = n/10$ features, $A$ Gaussian and
    $y = A w_\star$, so that $\min f = 0$; the step is $1/L$ with
    $L = \lambda_{\max}(A^\top A)/m$ (by power iteration). We time gradient descent
    from $w = 0$ until $f(w) \le 10^{-9}$, for $n$ in `np.logspace(1, 4, 6)`, 5 runs
    (5 data sets) each.
    """),
    code("""
    LOSS, SHAPES = "1/2 ||A w - y||_2^2 / m", {"m": "scalar"}
    g = mc.gradient(LOSS, wrt="w", shapes=SHAPES)
    print(g.explain())
    if to_numpy is not None:    # value and gradient from one generated function, sharing A w - y
        from matcalc import compile as compile_numpy
        value_and_grad_matcalc = compile_numpy(LOSS, "w", order=1, shapes=SHAPES)
        print(compile_numpy(LOSS, "w", order=1, shapes=SHAPES, source=True))
    else:
        loss = mc.parse(LOSS, shapes=SHAPES)
        value_and_grad_matcalc = lambda **values: (loss.evaluate(values), g.evaluate(values))
    """),
    code(r'''
    TOL, MAX_ITER = 1e-9, 10_000


    def problem(n, seed):
        rng = np.random.default_rng(seed)
        d = max(2, n // 10)
        A = rng.standard_normal((n, d))
        y = A @ rng.standard_normal(d)
        v = rng.standard_normal(d)
        for _ in range(30):                      # power iteration for lambda_max(A^T A)
            v = A.T @ (A @ v)
            v /= np.linalg.norm(v)
        L = np.linalg.norm(A @ v) ** 2 / n
        return A, y, 1.0 / L


    def gd_matcalc(A, y, step):
        m = float(len(y))
        w = np.zeros(A.shape[1])
        for k in range(MAX_ITER):
            value, grad = value_and_grad_matcalc(A=A, m=m, w=w, y=y)
            if value <= TOL:
                return w, k
            w = w - step * grad
        raise RuntimeError("no convergence")


    def gd_numpy(A, y, step):
        """The same value and gradient A^T (A w - y) / m, typed in by hand."""
        m = len(y)
        w = np.zeros(A.shape[1])
        for k in range(MAX_ITER):
            r = A @ w - y
            if 0.5 * (r @ r) / m <= TOL:
                return w, k
            w = w - step * (A.T @ r) / m
        raise RuntimeError("no convergence")


    def gd_torch(A, y, step):
        A, y = torch.from_numpy(A), torch.from_numpy(y)
        w = torch.zeros(A.shape[1], requires_grad=True)
        for k in range(MAX_ITER):
            loss = 0.5 * torch.sum((A @ w - y) ** 2) / len(y)
            if loss.item() <= TOL:
                return w.detach().numpy(), k
            loss.backward()
            with torch.no_grad():
                w -= step * w.grad
            w.grad.zero_()
        raise RuntimeError("no convergence")


    @jax.jit
    def jax_step(w, A, y, step):
        loss, grad = jax.value_and_grad(lambda w: 0.5 * jnp.sum((A @ w - y) ** 2) / y.shape[0])(w)
        return loss, w - step * grad


    def gd_jax(A, y, step):
        A, y = jnp.asarray(A), jnp.asarray(y)
        w = jnp.zeros(A.shape[1])
        for k in range(MAX_ITER):
            loss, w_next = jax_step(w, A, y, step)
            if float(loss) <= TOL:
                return np.asarray(w), k
            w = w_next
        raise RuntimeError("no convergence")


    METHODS = {"matcalc": gd_matcalc, "NumPy by hand": gd_numpy,
               "PyTorch autograd": gd_torch, "JAX grad (jit)": gd_jax}
    '''),
    code(r'''
    for gd in METHODS.values():                             # warm-up: imports, first calls
        gd(*problem(10, seed=99))

    ns = np.logspace(1, 4, 6).astype(int)
    RUNS = 5
    times = {name: np.zeros((len(ns), RUNS)) for name in METHODS}
    iterations = np.zeros((len(ns), RUNS), dtype=int)
    for i, n in enumerate(ns):
        for run in range(RUNS):
            A, y, step = problem(n, seed=run)
            solutions = {}
            A @ (A.T @ y)                                   # touch the data before timing
            order = list(METHODS)[run % 4:] + list(METHODS)[:run % 4]   # rotate who goes first
            for name in order:
                gd = METHODS[name]
                if name == "JAX grad (jit)":               # compile for these shapes first
                    jax_step(jnp.zeros(A.shape[1]), jnp.asarray(A), jnp.asarray(y), step)
                start = time.perf_counter()
                solutions[name], k = gd(A, y, step)
                times[name][i, run] = time.perf_counter() - start
            iterations[i, run] = k
            w0 = solutions["NumPy by hand"]
            for name, w in solutions.items():       # all four reach the tolerance, at the same point
                assert 0.5 * np.sum((A @ w - y) ** 2) / n <= 1.001 * TOL, name
                assert np.allclose(w, w0, atol=1e-3), name

    print(f"{'n':>6} {'d':>5} {'iters':>6} " + " ".join(f"{name:>17}" for name in METHODS))
    for i, n in enumerate(ns):
        print(f"{n:6d} {max(2, n // 10):5d} {int(np.median(iterations[i])):6d} "
              + " ".join(f"{1e3 * np.median(times[name][i]):14.2f} ms" for name in METHODS))
    print("(median of", RUNS, "runs; time to reach f <= 1e-9)")
    '''),
    code(r'''
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for name, marker in zip(METHODS, "osd^"):
        med = np.median(times[name], axis=1)
        err = [med - times[name].min(axis=1), times[name].max(axis=1) - med]
        ax.errorbar(ns, med, yerr=err, marker=marker, capsize=3, label=name)
    ax.set_xscale("log"); ax.set_yscale("log")
    ax.set_xlabel("n (observations; d = n/10 features)")
    ax.set_ylabel("time to f(w) <= 1e-9 [s]")
    ax.set_title(f"AD2: gradient descent for least squares (median, min-max of {RUNS} runs)")
    ax.legend(fontsize=8); ax.grid(True, which="both", alpha=0.3)
    plt.show()
    '''),
    md(r"""
    All four run the same iterations (same data, step and start), so the
    differences are the cost of one value and gradient. matcalc's column runs
    the function generated by `matcalc.codegen.compile(f, "w", order=1)` (printed
    above; `evaluate` on an install without `matcalc.codegen`), which computes
    the residual $Aw - y$ once for both, as the hand-written loop does. For small $n$ the fixed overhead
    per call dominates (Python dispatch, autograd's tape, JAX's dispatch); for
    large $n$ the two matrix-vector products $A w$ and $A^\top r$ dominate and
    the methods converge. The manual gradient needs no tape and no
    recomputation; reverse-mode AD costs a small constant multiple of $f$.
    """),
    # ---- AD3
    md(r"""
    ## AD3

    The 4th derivative of $\tanh$ with JAX, compared with the closed form.
    With $u = \tanh x$: $u' = 1 - u^2$, $u'' = -2u(1 - u^2)$, $u''' = -2 + 8u^2 - 6u^4$ and
    $$u^{(4)} = 16u - 40u^3 + 24u^5 = 8u\,(2 - 5u^2 + 3u^4).$$
    """),
    code("""
    d4 = jax.vmap(jax.grad(jax.grad(jax.grad(jax.grad(jnp.tanh)))))
    xs = np.linspace(-4, 4, 401)
    u = np.tanh(xs)
    closed = 8 * u * (2 - 5 * u**2 + 3 * u**4)
    print("max |JAX - closed form| =", f"{np.max(np.abs(np.asarray(d4(xs)) - closed)):.1e}")
    assert np.allclose(d4(xs), closed, atol=1e-12)

    d = mc.derivative("tanh(t)", wrt="t", order=4, shapes={"t": "scalar"})
    print("matcalc:", d)
    print(d.verify())
    matcalc_values = np.array([d.evaluate({"t": x}) for x in xs[::20]])
    print("max |matcalc - closed form| =", f"{np.max(np.abs(matcalc_values - closed[::20])):.1e}")
    assert np.allclose(matcalc_values, closed[::20], atol=1e-12)
    """),
    code("""
    fig, ax = plt.subplots(figsize=(6, 2.6))
    ax.plot(xs, closed, "k", lw=3, alpha=0.3, label="closed form $8u(2 - 5u^2 + 3u^4)$")
    ax.plot(xs, d4(xs), "--", label="JAX: grad(grad(grad(grad(tanh))))")
    ax.set_xlabel("x"); ax.legend(fontsize=8); ax.set_title("AD3: $\\\\tanh^{(4)}$")
    plt.show()
    """),
    # ---- AD4-AD7
    md(r"""
    ## AD4-AD7: matcalc's closed forms versus autodiff

    | id | f | derivative | matcalc |
    |---|---|---|---|
    | AD4 | $\frac12 x^\top A x + b^\top x + c$ | Hessian | $\frac12(A + A^\top)$ |
    | AD5 | $\operatorname{tr}(AXB)$ | gradient wrt $X$ | $A^\top B^\top$ |
    | AD6 | $\frac12\|Ax - b\|_2^2$ | gradient, Hessian | $A^\top(Ax - b)$, $A^\top A$ |
    | AD7 | $\ln(1 + \exp\langle a, x\rangle)$ | gradient, Hessian | $\sigma(a^\top x)\,a$, $\sigma(1 - \sigma)\,a a^\top$ |

    First the derivations, then for each the values of matcalc, JAX
    (`jax.grad` / `jax.hessian`, jitted) and PyTorch (`torch.func.grad` /
    `torch.func.hessian`) at the same random inputs, then the timings for
    growing $n$ ($A$ is $n \times n$, $X$ is $n \times n$).
    """),
    code(r'''
    TASKS = {}   # name -> (matcalc result, jax function, torch function, variable, inputs)


    def inputs(n, seed=0):
        rng = np.random.default_rng(seed)
        return {"A": rng.standard_normal((n, n)) / np.sqrt(n), "B": rng.standard_normal((n, n)) / np.sqrt(n),
                "X": rng.standard_normal((n, n)), "x": rng.standard_normal(n), "a": rng.standard_normal(n) / np.sqrt(n),
                "b": rng.standard_normal(n), "c": 0.5}


    def task(name, result, f_jax, f_torch, kind, wrt, names):
        derivative_jax = jax.jit((jax.hessian if kind == "hessian" else jax.grad)(f_jax, argnums=0))
        derivative_torch = (torch.func.hessian if kind == "hessian" else torch.func.grad)(f_torch, argnums=0)
        TASKS[name] = (result, derivative_jax, derivative_torch, wrt, names)
        print(f"{name}: {kind} of {result.source if result.source is not None else result.base}:  {result}")
        show_code(result)
    '''),
    md(r"""
    ## AD4

    The Hessian of $\frac12 x^\top A x + b^\top x + c$.
    """),
    code("""
    h = mc.hessian("1/2 x^T A x + b^T x + c", wrt="x")
    print(h.explain())
    task("AD4 Hessian", h,
         lambda x, A, b, c: 0.5 * x @ A @ x + b @ x + c,
         lambda x, A, b, c: 0.5 * x @ A @ x + b @ x + c, "hessian", "x", ("A", "b", "c"))
    """),
    md(r"""
    ## AD5

    The gradient of $\operatorname{tr}(AXB)$ with respect to $X$.
    """),
    code("""
    g = mc.gradient("tr(A X B)", wrt="X")
    print(g.explain())
    task("AD5 gradient", g,
         lambda X, A, B: jnp.trace(A @ X @ B),
         lambda X, A, B: torch.trace(A @ X @ B), "gradient", "X", ("A", "B"))
    """),
    md(r"""
    ## AD6

    The gradient and the Hessian of $\frac12\|Ax - b\|_2^2$.
    """),
    code("""
    h = mc.hessian("1/2 ||A x - b||_2^2", wrt="x")
    print(h.explain())
    f6_jax = lambda x, A, b: 0.5 * jnp.sum((A @ x - b) ** 2)
    f6_torch = lambda x, A, b: 0.5 * torch.sum((A @ x - b) ** 2)
    task("AD6 gradient", h.gradient, f6_jax, f6_torch, "gradient", "x", ("A", "b"))
    task("AD6 Hessian", h, f6_jax, f6_torch, "hessian", "x", ("A", "b"))
    """),
    md(r"""
    ## AD7

    The gradient and the Hessian of $\ln(1 + \exp\langle a, x\rangle)$.
    """),
    code("""
    h = mc.hessian("ln(1 + exp(<a, x>))", wrt="x")
    print(h.explain())
    f7_jax = lambda x, a: jnp.log1p(jnp.exp(a @ x))
    f7_torch = lambda x, a: torch.log1p(torch.exp(a @ x))
    task("AD7 gradient", h.gradient, f7_jax, f7_torch, "gradient", "x", ("a",))
    task("AD7 Hessian", h, f7_jax, f7_torch, "hessian", "x", ("a",))
    """),
    md(r"""
    ### AD4-AD7: the values agree
    """),
    code(r'''
    values = inputs(50, seed=1)
    print(f"{'task':14} {'shape':>10} {'matcalc vs JAX':>15} {'matcalc vs torch':>17}")
    for name, (result, d_jax, d_torch, wrt, names) in TASKS.items():
        args = [values[wrt]] + [values[k] for k in names]
        fn = numpy_code(result)
        ours = np.asarray(fn(**arguments(fn, values)), dtype=float)
        theirs_jax = np.asarray(d_jax(*args))
        theirs_torch = d_torch(*[torch.as_tensor(v) for v in args]).numpy()
        e_jax, e_torch = max_rel_diff(ours, theirs_jax), max_rel_diff(ours, theirs_torch)
        print(f"{name:14} {str(ours.shape):>10} {e_jax:15.1e} {e_torch:17.1e}")
        assert ours.shape == theirs_jax.shape == theirs_torch.shape
        assert e_jax < 1e-12 and e_torch < 1e-12
    '''),
    md(r"""
    ### AD4-AD7: timings for growing $n$
    """),
    code(r'''
    sizes = [10, 30, 100, 300, 1000]
    columns = ["matcalc", "NumPy by hand", "JAX (jit)", "PyTorch"]
    BY_HAND = {   # the closed forms typed in NumPy: the floor for generated code
        "AD4 Hessian": lambda x, A, b, c: 0.5 * (A + A.T),
        "AD5 gradient": lambda X, A, B: A.T @ B.T,
        "AD6 gradient": lambda x, A, b: A.T @ (A @ x - b),
        "AD6 Hessian": lambda x, A, b: A.T @ A,
        "AD7 gradient": lambda x, a: a / (1 + np.exp(-(a @ x))),
        "AD7 Hessian": lambda x, a: (lambda s: s * (1 - s) * np.outer(a, a))(1 / (1 + np.exp(-(a @ x)))),
    }
    timings = {name: np.zeros((len(sizes), len(columns))) for name in TASKS}
    for j, n in enumerate(sizes):
        values = inputs(n)
        for name, (result, d_jax, d_torch, wrt, names) in TASKS.items():
            keys = (wrt, *names)
            args = [values[k] for k in keys]
            jax_args = [jnp.asarray(v) for v in args]
            torch_args = [torch.as_tensor(v) for v in args]
            ours = numpy_code(result)
            kwargs = arguments(ours, values)
            timings[name][j] = [
                best_time(lambda: ours(**kwargs)),
                best_time(lambda: BY_HAND[name](*args)),
                best_time(lambda: d_jax(*jax_args).block_until_ready()),
                best_time(lambda: d_torch(*torch_args)),
            ]

    for name, table in timings.items():
        print(f"{name}  (time of one call; ratio = JAX / matcalc, PyTorch / matcalc)")
        print(f"{'n':>6}" + "".join(f"{c:>15}" for c in columns) + f"{'JAX/mc':>9}{'torch/mc':>9}")
        for n, row in zip(sizes, table):
            print(f"{n:6d}" + "".join(f"{1e6 * t:12.1f} us" for t in row)
                  + f"{row[2] / row[0]:9.2f}{row[3] / row[0]:9.2f}")
        print()
    '''),
    code(r'''
    fig, axes = plt.subplots(2, 3, figsize=(10, 6), sharex=True)
    for ax, (name, table) in zip(axes.ravel(), timings.items()):
        for k, (column, marker) in enumerate(zip(columns, "osd^")):
            ax.plot(sizes, table[:, k], marker=marker, label=column)
        ax.set_xscale("log"); ax.set_yscale("log"); ax.set_title(name)
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("n")
    for ax in axes[:, 0]:
        ax.set_ylabel("seconds per call")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("AD4-AD7: closed forms (matcalc) vs autodiff, best of 5 runs (2 over 0.25 s)")
    fig.tight_layout()
    plt.show()
    '''),
    md(r"""
    The closed forms do less work than autodiff: the Hessian of a quadratic is
    $\frac12(A + A^\top)$, with no differentiation at run time, whereas
    `jax.hessian` and `torch.func.hessian` run $n$ Hessian-vector products
    (forward-over-reverse, vectorized). For the gradients both are a few
    matrix products and the difference is mostly the fixed overhead per call.
    Where the work is elementwise (the rank-one Hessian of AD7 at large $n$),
    jitted JAX can match or beat NumPy: XLA fuses the operations into one pass,
    while NumPy writes a temporary array for each.
    """),
    # ---- AD8
    md(r"""
    ## AD8

    $x = A^{-1} b$ inside a loss $L(x)$: given $g = \partial L/\partial x$, find
    $\partial L/\partial A = -A^{-\top} g x^\top$ and $\partial L/\partial b = A^{-\top} g$.

    With the differential method: $dx = d(A^{-1}) b + A^{-1} db = -A^{-1} dA\, x + A^{-1} db$, so
    $dL = \langle g, dx\rangle = \langle -A^{-\top} g x^\top, dA\rangle + \langle A^{-\top} g, db\rangle$.
    As matcalc problems: the gradients of $\langle g, A^{-1} b\rangle$ with respect to $A$ and $b$
    ($-A^{-\top} g b^\top A^{-\top} = -A^{-\top} g x^\top$). This is the adjoint rule a
    reverse-mode AD system uses for `solve`: one extra solve with $A^\top$ (the
    same LU factorization), never an inverse.
    """),
    code("""
    grads = mc.gradient("<g, A^-1 b>", wrt=["A", "b"])
    print(grads)
    print(grads["A"].explain())
    print(grads.verify())

    rng = np.random.default_rng(8)
    n = 5
    A, b, gv = np.eye(n) + 0.3 * rng.standard_normal((n, n)), rng.standard_normal(n), rng.standard_normal(n)
    x = np.linalg.solve(A, b)
    lam = np.linalg.solve(A.T, gv)              # A^-T g
    ours = grads.evaluate({"g": gv, "A": A, "b": b})
    L = lambda A, b: jnp.dot(gv, jnp.linalg.solve(A, b))
    dA, db = jax.grad(L, argnums=(0, 1))(A, b)
    print("dL/dA: matcalc vs -A^-T g x^T:", f"{max_rel_diff(ours['A'], -np.outer(lam, x)):.1e}",
          "  vs JAX:", f"{max_rel_diff(ours['A'], dA):.1e}")
    print("dL/db: matcalc vs A^-T g:     ", f"{max_rel_diff(ours['b'], lam):.1e}",
          "  vs JAX:", f"{max_rel_diff(ours['b'], db):.1e}")
    assert max_rel_diff(ours["A"], -np.outer(lam, x)) < 1e-12 and max_rel_diff(ours["A"], dA) < 1e-12
    assert max_rel_diff(ours["b"], lam) < 1e-12 and max_rel_diff(ours["b"], db) < 1e-12
    """),
    # ---- AD9
    md(r"""
    ## AD9

    The nuclear-norm regularizer $R(W) = \operatorname{tr}\Sigma = \|W\|_*$ for
    $W = U\Sigma V^\top$ (thin SVD): $\partial R/\partial W = U V^\top$ (full rank,
    distinct singular values).

    Why: $dW = dU\,\Sigma V^\top + U\,d\Sigma\,V^\top + U \Sigma\, dV^\top$, and
    $\langle UV^\top, dW\rangle = \operatorname{tr}(d\Sigma) + \operatorname{tr}(U^\top dU\, \Sigma) + \operatorname{tr}(\Sigma\, dV^\top V)$;
    $U^\top dU$ and $V^\top dV$ are antisymmetric (from $U^\top U = I$, $V^\top V = I$),
    so their traces against the diagonal $\Sigma$ vanish: $dR = \operatorname{tr}\, d\Sigma = \langle UV^\top, dW\rangle$.
    matcalc prints $UV^\top$ as $\operatorname{polar}(W)$, the orthogonal factor of the polar
    decomposition $W = \operatorname{polar}(W)\,(W^\top W)^{1/2}$.
    """),
    code("""
    g = mc.gradient("||W||_*", wrt="W")
    print(g.explain())
    print("holds where:", *g.conditions)
    print(g.verify())

    W = np.random.default_rng(9).standard_normal((5, 3))
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    ours = g.evaluate({"W": W})
    theirs_jax = jax.grad(lambda W: jnp.sum(jnp.linalg.svd(W, compute_uv=False)))(W)
    Wt = torch.tensor(W, requires_grad=True)
    torch.linalg.matrix_norm(Wt, ord="nuc").backward()
    print("singular values:", s)
    print("matcalc vs U V^T:", f"{max_rel_diff(ours, U @ Vt):.1e}",
          "  vs JAX:", f"{max_rel_diff(ours, theirs_jax):.1e}",
          "  vs PyTorch:", f"{max_rel_diff(ours, Wt.grad.numpy()):.1e}")
    assert max_rel_diff(ours, U @ Vt) < 1e-10 and max_rel_diff(ours, theirs_jax) < 1e-10
    assert max_rel_diff(ours, Wt.grad.numpy()) < 1e-10
    """),
    # ---- AD10
    md(r"""
    ## AD10

    Forward versus reverse mode. A program is a graph of elementary operations.
    Take $F: \mathbb{R}^2 \to \mathbb{R}^3$,
    $v_1 = x_1 x_2$, $v_2 = \sin x_1$, $y_1 = v_1 + v_2$, $y_2 = v_1^2$, $y_3 = e^{v_2}$:
    """),
    code(r'''
    nodes = {"x1": (0, 2), "x2": (0, 0), "v1 = x1 x2": (1.4, 1.6), "v2 = sin x1": (1.4, 0.4),
             "y1 = v1 + v2": (2.9, 2.2), "y2 = v1^2": (2.9, 1.0), "y3 = exp v2": (2.9, -0.2)}
    edges = [("x1", "v1 = x1 x2"), ("x2", "v1 = x1 x2"), ("x1", "v2 = sin x1"),
             ("v1 = x1 x2", "y1 = v1 + v2"), ("v2 = sin x1", "y1 = v1 + v2"),
             ("v1 = x1 x2", "y2 = v1^2"), ("v2 = sin x1", "y3 = exp v2")]
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    for a, b in edges:
        ax.annotate("", xy=nodes[b], xytext=nodes[a],
                    arrowprops=dict(arrowstyle="->", shrinkA=18, shrinkB=26, color="gray"))
    for label, (px, py) in nodes.items():
        color = "#cde" if label.startswith("x") else "#fdc" if label.startswith("y") else "#eee"
        ax.text(px, py, label, ha="center", va="center", bbox=dict(boxstyle="round", fc=color))
    ax.text(-0.4, -0.9, "forward mode: seed dx, push tangents left to right (one pass per input)")
    ax.text(-0.4, -1.3, "reverse mode: seed dy, pull adjoints right to left (one pass per output)")
    ax.set_xlim(-0.5, 3.6); ax.set_ylim(-1.5, 2.6); ax.axis("off"); ax.set_title("AD10: a computational graph")
    plt.show()
    '''),
    md(r"""
    * **Forward mode** (JVP) carries a tangent $\dot v = dv/dx \cdot \dot x$ along
      with every value, from the inputs to the outputs: one pass gives
      $J\dot x$, one column of the Jacobian per seed $\dot x = e_j$. The full
      Jacobian costs $n$ passes (inputs), each a small multiple ($\le 3$) of
      the cost of $F$, and no extra memory.
    * **Reverse mode** (VJP, backpropagation) runs $F$ forward, records the
      graph, then carries adjoints $\bar v = \bar y^\top \partial y/\partial v$
      backwards: one pass gives $\bar y^\top J$, one row per seed $\bar y = e_i$.
      The full Jacobian costs $m$ passes (outputs), each a small multiple
      ($\le 4$) of the cost of $F$, and memory for the recorded values.

    So: **few inputs, many outputs** ($n \ll m$): forward mode; **many inputs,
    few outputs** ($n \gg m$), above all a scalar loss ($m = 1$, the gradient in
    one backward pass, "the cheap gradient principle"): reverse mode. JAX has
    both, `jax.jacfwd` and `jax.jacrev`:
    """),
    code(r'''
    def F(x, W):
        return jnp.tanh(W @ jnp.sin(x))


    rng = np.random.default_rng(10)
    print(f"{'n inputs':>9} {'m outputs':>10} {'jacfwd':>12} {'jacrev':>12}")
    for n, m in [(4, 2000), (2000, 4)]:
        x, W = jnp.asarray(rng.standard_normal(n)), jnp.asarray(rng.standard_normal((m, n)))
        fwd, rev = jax.jit(jax.jacfwd(F)), jax.jit(jax.jacrev(F))
        assert np.allclose(fwd(x, W), rev(x, W))
        t_fwd = best_time(lambda: fwd(x, W).block_until_ready())
        t_rev = best_time(lambda: rev(x, W).block_until_ready())
        print(f"{n:9d} {m:10d} {1e3 * t_fwd:9.3f} ms {1e3 * t_rev:9.3f} ms")
    '''),
    md(r"""
    matcalc is neither: it derives the Jacobian or gradient *symbolically*
    once, and the formula is then evaluated at any point at the cost of
    its own operations (for $\frac12 x^\top A x$, the Hessian
    $\frac12(A + A^\top)$ costs no differentiation at all).
    """),
]

NOTEBOOKS = {
    "00_tour": TOUR,
    "01_matrix_calculus": PROBLEMS,
    "02_seminar": SEMINAR,
    "03_autodiff": AUTODIFF,
}


def build(name: str):
    """The notebook `name`, without outputs."""
    return notebook(name, NOTEBOOKS[name])


def execute(nb, timeout: int = 900):
    """Run nb top to bottom in a fresh kernel in this folder (outputs are filled in)."""
    from nbclient import NotebookClient
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(HERE)}}).execute()
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"notebooks to build (default: all of {list(NOTEBOOKS)})")
    parser.add_argument("--no-execute", action="store_true", help="write them without outputs")
    args = parser.parse_args(argv)
    for name in args.names or NOTEBOOKS:
        if name not in NOTEBOOKS:
            parser.error(f"unknown notebook {name!r}; known: {', '.join(NOTEBOOKS)}")
        nb = build(name)
        start = time.perf_counter()
        if not args.no_execute:
            execute(nb)
        nbformat.validate(nb)
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print(f"{name}.ipynb: {len(nb.cells)} cells"
              + ("" if args.no_execute else f", executed in {time.perf_counter() - start:.1f} s"))


if __name__ == "__main__":
    sys.exit(main())
