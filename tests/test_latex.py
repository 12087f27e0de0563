"""The LaTeX input subset: formulas as the lecture notes write them parse to the plain form."""
import pytest

import matcalc as mc

SHAPES = {"t": "scalar", "m": "scalar"}

PAIRS = [
 (r"\frac{1}{2} x^\top A x + b^\top x + c", "1/2 x^T A x + b^T x + c"),
 (r"\frac{1}{2}\|Ax - b\|_2^2", "1/2 ||A x - b||_2^2"),
 (r"\ln \langle Ax, x \rangle", "ln <A x, x>"),
 (r"\langle x, x \rangle^{\langle x, x \rangle}", "<x, x>^<x, x>"),
 (r"\frac{\langle Ax, x\rangle}{\|x\|_2^2}", "<A x, x> / ||x||_2^2"),
 (r"\log \det X", "log det X"),
 (r"\text{tr}(A X^{-1} B)", "tr(A X^-1 B)"),
 (r"\det(A - tI)", "det(A - t I)"),
 (r"\operatorname{tr}(AX^2BX^{-\top})", "tr(A X^2 B X^-T)"),
 (r"\frac{1}{3}\|x\|_2^3", "1/3 ||x||_2^3"),
 (r"-\exp(-x^\top x)", "-exp(-x^T x)"),
 (r"-\frac{1}{1 + x^\top x}", "-1/(1 + x^T x)"),
 (r"\ln(1 + \exp\langle a, x\rangle)", "ln(1 + exp(<a, x>))"),
 (r"\|X\|_F^2", "||X||_F^2"),
 (r"\frac{1}{2}\|A - xx^\top\|_F^2", "1/2 ||A - x x^T||_F^2"),
 (r"\|xx^\top\|_2", "||x x^T||_2"),
 (r"\frac{1}{2}\|\sigma(Wx + b) - y\|_2^2", "1/2 ||sigma(W x + b) - y||_2^2"),
 (r"\mathbf{x}^\top \mathbf{A} \mathbf{x}", "x^T A x"),
 (r"\langle S, X\rangle - \log\det X", "<S, X> - log det X"),
 (r"\left(A + A^{\top}\right) x", "(A + A^T) x"),
 (r"2 \cdot x", "2 x"),
 (r"\|Ax\|_2", "||A x||_2"),
 (r"\log(x^\top A x)", "log(x^T A x)"),
 (r"c^\top x", "c^T x"),
 (r"\operatorname{tr}(X)", "tr X"),
 (r"\ln \det X", "ln det X"),
 (r"\|AX - B\|_F", "||A X - B||_F"),
 (r"\frac{1}{m}\sum(\log(1 + \exp(Ax))) + \frac{\mu}{2}\|x\|_2^2",
  "1/m sum(log(1 + exp(A x))) + mu/2 ||x||_2^2"),
 (r"\langle g, A^{-1} b \rangle", "<g, A^-1 b>"),
 (r"\|W\|_*", "||W||_*"),
 (r"\lambda_{\max}(X)", "lambda_max(X)"),
 (r"x \odot y", "x .* y"),
 (r"A \otimes B", "A kron B"),
 (r"\operatorname{tr}(X^{-1})", "tr(X^-1)"),
]


@pytest.mark.parametrize("latex, plain", PAIRS, ids=[p[1] for p in PAIRS])
def test_latex_parses_like_plain_text(latex, plain):
    assert mc.parse(latex, shapes=SHAPES) == mc.parse(plain, shapes=SHAPES)


@pytest.mark.parametrize("text", ["1/2 x^T A x + b^T x + c", "tr(A X^-1 B)", "ln <x, Ax>",
                                  "||A x - b||_2^2 / 2", "<x, x>^<x, x>", "sigma(W x + b) .* y",
                                  "A kron B", "x ./ (1 + x.^2)", "(A + A^T)^-1 x"])
def test_printed_latex_is_balanced(text):
    latex = mc.parse(text).latex
    assert latex.count("{") == latex.count("}")
    assert latex.count(r"\left") == latex.count(r"\right")
