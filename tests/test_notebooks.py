"""The notebooks run top to bottom, without a widget front end, at small replication counts.

Each notebook is executed with nbclient in a fresh kernel of this Python (a kernel spec
written to a temporary directory, so no user-level Jupyter setup is needed), in a
temporary working directory, with ``CLINICSIM_FAST=1``; any cell error fails the test.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = ["01_quickstart", "02_what_if", "03_sweep_analysis", "04_calibration"]
#: Imports a notebook may use: the public API only.
PUBLIC = re.compile(r"^(sim|sim\.plots|sim\.html_report|sim\.calibration|sim\.experiment(\..+)?)$")


def _load(name: str):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed "
                                   "(pip install nbformat nbclient ipykernel)")
    path = NOTEBOOK_DIR / f"{name}.ipynb"
    assert path.exists(), f"missing notebook {path}"
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_clean(name):
    """Stored without outputs, as nbformat v4 with a Python 3 kernel, public API only."""
    book = _load(name)
    assert book.nbformat == 4
    assert book.metadata["kernelspec"]["language"] == "python"
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [] and cell.execution_count is None, \
            f"{name} is stored with outputs; clear them before committing"
        for module in re.findall(r"^\s*(?:from|import)\s+(sim[\w.]*)", cell.source, re.M):
            assert PUBLIC.match(module), f"{name} imports {module}, not the public API"


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A kernel spec for this interpreter, found through JUPYTER_PATH."""
    pytest.importorskip("nbclient", reason="nbclient is not installed "
                        "(pip install nbclient nbformat ipykernel)")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed "
                        "(pip install ipykernel)")
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "clinicsim-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "clinicsim test", "language": "python"}), encoding="utf-8")
    return "clinicsim-test", root


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, kernel_name, tmp_path, monkeypatch):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    kernel, jupyter_path = kernel_name
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    monkeypatch.setenv("CLINICSIM_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    monkeypatch.chdir(tmp_path)
    book = _load(name)
    client = NotebookClient(book, timeout=180, kernel_name=kernel,
                            shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except CellExecutionError as err:
        pytest.fail(f"{name}.ipynb failed:\n{err}")
    errors = [out for cell in book.cells if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors
    images = sum(1 for cell in book.cells if cell.cell_type == "code"
                 for out in cell.get("outputs", []) if "image/png" in out.get("data", {}))
    assert images >= 1, f"{name} drew no figure"
