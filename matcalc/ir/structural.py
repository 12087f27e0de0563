"""The nodes of functions of matrices: tr, det, inner products, norms, diag, softmax and
logsumexp, spectral functions, extrema, Kronecker products and partial traces, vec and the
commutation matrix, matrix functions, and the catalogue's elementwise functions (Func)."""
from __future__ import annotations

from .nodes import SCALAR, Expr, Identity, elementwise_shape, mul, node
from .shapes import dim_product, dim_quotient, is_square, is_vector, require, resolve


@node
class Trace(Expr):
    arg: Expr

    def _shape(self):
        require(is_square(self.arg.shape), "the trace needs a square matrix, not a {}",
                self.arg.shape)
        return SCALAR


@node
class Det(Expr):
    arg: Expr

    def _shape(self):
        require(is_square(self.arg.shape), "the determinant needs a square matrix, not a {}",
                self.arg.shape)
        return SCALAR


@node
class Inner(Expr):
    """``<A, B> = tr(A^T B)``, the Frobenius inner product."""
    left: Expr
    right: Expr

    def _shape(self):
        elementwise_shape(self.left, self.right, "take the inner product of")
        return SCALAR


@node
class Norm(Expr):
    """A norm as written: ``p`` is "" (none), "2", "F", "1", "*" or "inf"; ``order`` holds the
    p of any other vector norm ||x||_p (a number or a scalar symbol; then p is "").

    Its ``kind``: "euclid" (||v||, ||v||_2, ||X||, ||X||_F: sqrt<A, A>), "l1" (||v||_1),
    "max" (||v||_inf), "lp" (||v||_p), "spectral" (||X||_2) or "nuclear" (||X||_*).
    """
    arg: Expr
    p: str = ""
    order: tuple[Expr, ...] = ()

    def _shape(self):
        require(not (self.order or self.p == "inf") or resolve(self.arg.shape[1]) == 1,
                "||.||_p and ||.||_inf are for vectors, not a {}; of the entries of a matrix "
                "X write ||vec(X)||_p", self.arg.shape)
        return SCALAR

    @property
    def kind(self) -> str:
        vector = resolve(self.arg.shape[1]) == 1
        if self.order or self.p == "inf":
            return "lp" if self.order else "max"
        if self.p == "1":
            return "l1" if vector else "matrix-l1"
        if self.p in ("", "F") or vector:
            return "euclid"
        return "spectral" if self.p == "2" else "nuclear"


@node
class Diag(Expr):
    """``diag(v)``: the diagonal matrix of a vector; ``diag(X)``: the diagonal of a matrix."""
    arg: Expr

    def _shape(self):
        rows, cols = self.arg.shape
        if is_vector(self.arg.shape) or resolve(cols) == 1:
            return (rows, rows)
        require(is_square(self.arg.shape), "diag needs a vector or a square matrix, not a {}",
                self.arg.shape)
        return (rows, 1)

    @property
    def builds_matrix(self) -> bool:
        return self.shape[1] != 1


@node
class Softmax(Expr):
    """softmax(u) = exp(u) / (1^T exp(u)); of a matrix, the softmax of each column."""
    arg: Expr

    def _shape(self):
        return self.arg.shape


@node
class LogSumExp(Expr):
    """logsumexp(u) = log(1^T exp(u)); of a matrix, the row of each column's logsumexp."""
    arg: Expr

    def _shape(self):
        return (1, self.arg.shape[1])


@node
class Eig(Expr):
    """eig(X): the eigenvalues of X (only sum(eig X) = tr X and prod(eig X) = det X are
    differentiated)."""
    arg: Expr

    def _shape(self):
        require(is_square(self.arg.shape), "eig needs a square matrix, not a {}", self.arg.shape)
        return (self.arg.shape[0], 1)


@node
class SingularFactor(Expr):
    """From the SVD X = U S V^T: ``polar`` is U V^T (the gradient of ||X||_*),
    ``top`` is u1 v1^T (the gradient of ||X||_2)."""
    arg: Expr
    which: str = "polar"

    def _shape(self):
        return self.arg.shape


@node
class LambdaMax(Expr):
    """The largest (``which`` "max") or smallest ("min") eigenvalue of a symmetric matrix."""
    arg: Expr
    which: str = "max"

    def _shape(self):
        require(is_square(self.arg.shape),
                f"lambda_{self.which} needs a square matrix, not a {{}}", self.arg.shape)
        return SCALAR


@node
class TopEigvec(Expr):
    """v v^T for the top (``which`` "top") or bottom ("bottom") unit eigenvector v of a
    symmetric matrix: the gradient of lambda_max (lambda_min)."""
    arg: Expr
    which: str = "top"

    def _shape(self):
        return self.arg.shape


@node
class Extremum(Expr):
    """The largest (``which`` "max") or smallest ("min") entry of a vector or matrix, and the
    indicator of the entry equal to it ("ismax", "ismin": 1 there, else 0; the gradient)."""
    arg: Expr
    which: str = "max"

    def _shape(self):
        return SCALAR if self.which in ("max", "min") else self.arg.shape


@node
class Kron(Expr):
    """The Kronecker product ``A kron B``: vec(A X B) = (B^T kron A) vec(X)."""
    left: Expr
    right: Expr

    def _shape(self):
        (a, b), (c, d) = self.left.shape, self.right.shape
        return (dim_product(a, c), dim_product(b, d))


@node
class PartialTrace(Expr):
    """The partial trace of a Kronecker product's factor, the adjoint of M -> M kron I (and
    I kron M): ``which`` 2 is tr_2(arg (I kron factor)), the p x p blocks of the product each
    replaced by their trace; ``which`` 1 is tr_1((factor kron I) arg), the sum of its
    diagonal blocks. So <W, E kron B> = <tr_2(W (I kron B^T)), E> and
    <W, A kron E> = <tr_1((A^T kron I) W), E>."""
    arg: Expr
    factor: Expr
    which: int = 2

    def _shape(self):
        rows, cols = self.arg.shape
        return (dim_quotient(rows, self.factor.shape[1]), dim_quotient(cols, self.factor.shape[0]))

    @property
    def product(self) -> Expr:
        """The matrix whose blocks it traces: arg (I kron factor), or (factor kron I) arg."""
        if self.which == 2:
            return mul(self.arg, Kron(Identity(self.shape[1]), self.factor))
        return mul(Kron(self.factor, Identity(self.shape[0])), self.arg)


@node
class Vec(Expr):
    """``vec(X)``: the columns of X stacked into one vector."""
    arg: Expr

    def _shape(self):
        return (dim_product(*self.arg.shape), 1)


@node
class Commutation(Expr):
    """The commutation matrix K of an m x n matrix: K vec(X) = vec(X^T)."""
    m: object
    n: object

    def _shape(self):
        size = dim_product(self.m, self.n)
        return (size, size)


@node
class MatFunc(Expr):
    """A matrix function f(X), ``which`` expm, logm or sqrtm; with a ``direction`` (E,) its
    Frechet derivative Df(X)[E], the part of f(X + E) - f(X) linear in E (Higham, Functions
    of Matrices, ch. 3), printed dexpm(X)[E]."""
    arg: Expr
    which: str = "expm"
    direction: tuple[Expr, ...] = ()

    def _shape(self):
        require(is_square(self.arg.shape), self.which + " needs a square matrix, not a {}",
                self.arg.shape)
        for E in self.direction:
            elementwise_shape(self.arg, E, "apply d" + self.which + " of")
        return self.arg.shape


@node
class Func(Expr):
    """A catalogue function (catalogue/functions.py), elementwise on vectors and matrices."""
    name: str
    arg: Expr

    def _shape(self):
        return self.arg.shape
