"""Heavy third-party modules, loaded on first use: ``from ..lazy import sympy`` gives the
module object at once, and the first attribute read from it imports SymPy
(``importlib.util.LazyLoader``). ``import matcalc`` so pays only for what a call needs."""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING


def lazy_module(name: str) -> ModuleType:
    """The top-level module ``name``, imported when an attribute of it is first read (at
    once if it is imported already)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import sympy                # type checkers read SymPy itself
else:
    sympy = lazy_module("sympy")
