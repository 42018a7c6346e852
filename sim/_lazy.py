"""Load a package's public names on first use, so importing the package stays cheap."""
from __future__ import annotations

import importlib
from typing import Any, Callable, Iterable


def lazy_exports(package: str, exports: dict[str, str], submodules: Iterable[str] = (),
                 defined: Iterable[str] = ()) -> tuple[Callable[[str], Any],
                                                       Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose names live in submodules.

    ``submodules`` are public modules of the package, imported when first reached as an
    attribute (``sim.plots``): imported with the package, their own imports (matplotlib)
    would slow every command. ``defined``: the public names the package defines itself,
    which ``dir()`` lists with the others."""
    modules, names = tuple(submodules), tuple(defined)

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            if name in modules:
                return importlib.import_module(f"{package}.{name}")
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return sorted({*exports, *modules, *names})

    return __getattr__, __dir__
