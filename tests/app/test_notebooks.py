"""The example notebooks run from top to bottom and still tell the story stored in them.

Each notebook in ``examples/`` is stored *with* its outputs, so that a reader on GitHub sees the
pictures and numbers without running anything. The test executes a copy with nbclient in a fresh
``python3`` kernel (ipykernel, this interpreter), with ``examples/`` as the working directory, and
compares its text outputs with the stored ones: the same words, and numbers equal to 6
significant digits (a different CPU or library may change the last digits). Pictures are
compared by kind only (each stored picture is produced again), not byte for byte.

After a change of the model or of a notebook, refresh the stored outputs with

    python tests/app/test_notebooks.py

which executes each notebook and writes it back without execution timestamps or paths.
"""

from __future__ import annotations

import copy
import math
import re
import sys
import tempfile
import time
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = ("teaching.ipynb", "strategist.ipynb")
#: each notebook runs in about 15 s on an idle 2-core machine; the budget allows for a busy CI runner
BUDGET_S = 90
#: stored notebooks stay small enough to diff and to read on GitHub (pictures at modest dpi)
MAX_BYTES = 600_000
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _execute(nb):
    from nbclient import NotebookClient

    client = NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=False,
                            resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()
    return nb


def _scrub(nb):
    """Drop what changes from run to run or machine to machine: execution timestamps."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb


def _outputs(nb) -> list[list[tuple[str, str]]]:
    """Per code cell: (kind, text) of each output; pictures as ("image/png", "")."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        found = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                found.append((out.get("name", "stream"), out.get("text", "")))
                continue
            data = out.get("data", {})
            for kind in sorted(data):
                if kind.startswith("image/"):
                    found.append((kind, ""))
                elif kind in ("text/plain", "text/markdown"):
                    text = data[kind]
                    # an object's repr carries its memory address
                    found.append((kind, re.sub(r" at 0x[0-9a-f]+", "", text)))
        cells.append(found)
    return cells


def _same_text(stored: str, fresh: str) -> bool:
    """Same words; numbers equal to 6 significant digits."""
    if _NUMBER.sub("#", stored) != _NUMBER.sub("#", fresh):
        return False
    return all(math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
               for a, b in zip(_NUMBER.findall(stored), _NUMBER.findall(fresh)))


def _stream_text(nb) -> str:
    return "\n".join(text for cell in _outputs(nb) for _, text in cell)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_reproduces_its_stored_outputs(name):
    try:
        import nbclient  # noqa: F401
        import nbformat
    except ImportError:
        pytest.fail("nbclient/nbformat/ipykernel are needed: pip install -e '.[dev]'")
    path = EXAMPLES / name
    raw = path.read_text(encoding="utf-8")
    assert len(raw.encode()) < MAX_BYTES, f"{name} is stored too large"
    for private in {str(Path.home()), tempfile.gettempdir(), str(EXAMPLES.parent)}:
        assert private not in raw, f"{name} stores a path of this machine: {private}"
    stored = nbformat.reads(raw, as_version=4)
    assert stored.metadata.kernelspec.name == "python3"
    assert all(cell.get("outputs") for cell in stored.cells if cell.cell_type == "code"), \
        f"{name} is stored without outputs: python tests/app/test_notebooks.py"

    fresh = copy.deepcopy(stored)
    start = time.monotonic()
    _execute(fresh)
    elapsed = time.monotonic() - start
    assert elapsed < BUDGET_S, f"{name} took {elapsed:.0f} s"

    old, new = _outputs(stored), _outputs(fresh)
    assert len(old) == len(new)
    for i, (a, b) in enumerate(zip(old, new)):
        assert [kind for kind, _ in a] == [kind for kind, _ in b], f"{name}, code cell {i}: other outputs"
        for (kind, x), (_, y) in zip(a, b):
            assert _same_text(x, y), f"{name}, code cell {i} ({kind}) changed:\n--- stored\n{x}\n--- now\n{y}"

    text = _stream_text(fresh)
    if name == "teaching.ipynb":
        gap = float(text.split("largest gap between simulation and formula: ")[1].split()[0])
        assert 0 <= gap < 1  # exactness itself is tested in test_demo.py; here the story must run
        t0, b = (float(text.split(f"{key} = ")[1].split(",")[0]) for key in ("T0", "B"))
        assert b - t0 > 0.1, "the friend followed must visibly lose trust"
        assert "half its maximum" in text  # the hazards are explained, not called thresholds
    else:
        assert "posting 3/day instead of 10/day" in text
        assert "error: my_shop.yaml: unknown field 'sellers.me.post_per_day'" in text


def refresh(names=NOTEBOOKS) -> None:
    """Execute each notebook and store it with its outputs (see the module docstring)."""
    import nbformat

    for name in names:
        path = EXAMPLES / name
        nb = _scrub(_execute(nbformat.read(path, as_version=4)))
        nbformat.write(nb, path)
        print(f"{name}: {path.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    refresh(sys.argv[1:] or NOTEBOOKS)
