"""The example notebooks run from top to bottom, so that they never rot.

Each notebook in ``examples/`` is executed with nbclient in a fresh ``python3`` kernel
(ipykernel, this interpreter), with ``examples/`` as the working directory; nothing is written
back to the notebook.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = ("teaching.ipynb", "strategist.ipynb")
#: each notebook runs in about 15 s on an idle 2-core machine; the budget allows for a busy CI runner
BUDGET_S = 90


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name):
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError:
        pytest.fail("nbclient/nbformat/ipykernel are needed: pip install -e '.[dev]'")
    path = EXAMPLES / name
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    outputs = [cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"]
    assert not any(outputs), "commit notebooks without outputs"
    client = NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=False,
                            resources={"metadata": {"path": str(EXAMPLES)}})
    start = time.monotonic()
    client.execute()
    elapsed = time.monotonic() - start
    assert elapsed < BUDGET_S, f"{name} took {elapsed:.0f} s"
    text = "\n".join(
        out.get("text", "") if out.get("output_type") == "stream" else str(out.get("data", {}).get("text/plain", ""))
        for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
    )
    if name == "teaching.ipynb":
        assert "largest gap between simulation and formula" in text
        gap = float(text.split("largest gap between simulation and formula: ")[1].split()[0])
        assert 0 <= gap < 1  # exactness itself is tested in test_demo.py; here the story must run
    else:
        assert "posting 3/day instead of 10/day" in text
        assert "error: my_shop.yaml: unknown field 'sellers.me.post_per_day'" in text
