"""Build hook: the engine compiled with mypyc where this machine can build it, plain Python
where it cannot.

`pip install .` compiles the modules pyproject.toml lists (the per-contact path, the run,
its records and the per-day metrics): the same runs to the last digit in about 0.6 of the
time (README, "The compiled engine"). Where the compiling step fails (no C compiler, no
Python headers) the wheel is built from the sources alone, with a warning, as packages
with optional C extensions do: an install never fails for want of a compiler.
`HATCH_BUILD_NO_HOOKS=true pip install .` asks for the plain engine; an editable install
(`pip install -e .`) always runs the sources, since its user edits them.

The compiled files are removed from the checkout once the wheel holds them: left beside
the sources, Python would import them in place of the sources, even after an edit.
"""
from __future__ import annotations

from typing import Any

from hatch_mypyc.plugin import MypycBuildHook


class CompiledEngineHook(MypycBuildHook):
    """hatch-mypyc's hook, made optional: a failed compile leaves a plain wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        try:
            super().initialize(version, build_data)
        except Exception as error:  # whatever stopped mypyc or the C compiler
            self.clean([version])
            last = str(error).strip().splitlines()[-1:] or [type(error).__name__]
            self.app.display_warning(
                "clinicsim: the compiled engine could not be built here, so this install "
                f"runs the engine as plain Python (same results, slower): {last[0]}")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if version != "editable":
            self.clean([version])


def get_build_hook() -> type[CompiledEngineHook]:
    """The hook hatchling loads (named, since the module holds hatch-mypyc's class too)."""
    return CompiledEngineHook
