"""Every random draw must flow from the run's seed: scan the source for unseeded randomness.

Mesa's own network example builds its graph with an unseeded networkx generator, so the same
seed gives different runs; this test makes that mistake impossible to commit here.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "viralsim"
RNG_FACTORY = SRC / "_rng.py"


def calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def dotted(func: ast.AST) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def offenders_in(source: str, label: str, may_create_generators: bool = False) -> list[str]:
    found = []
    for node in calls(ast.parse(source)):
        name = dotted(node.func)
        where = f"{label}:{node.lineno} {name}"
        if name.startswith(("np.random.", "numpy.random.")) and not may_create_generators:
            # Only the factory may create generators; functions receive them as `rng`.
            found.append(where)
        elif name.startswith("random.") and name != "random.Random":
            found.append(where)
        elif name.startswith(("nx.", "networkx.")) and name.split(".")[-1].endswith("_graph"):
            if name.split(".")[-1] not in {"complete_graph", "empty_graph"}:
                if not any(k.arg == "seed" for k in node.keywords):
                    found.append(where + " without seed=")
    return found


def test_no_global_or_unseeded_random_state():
    offenders = []
    for path in SRC.rglob("*.py"):
        offenders += offenders_in(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)),
                                  may_create_generators=path == RNG_FACTORY)
    assert not offenders, "unseeded randomness:\n" + "\n".join(offenders)


def test_the_scan_catches_offenders():
    """The scan has teeth: planted unseeded calls are all reported, seeded ones are not."""
    bad = ("import numpy as np\nimport networkx as nx\nimport random\n"
           "x = np.random.rand(3)\nG = nx.gnp_random_graph(5, 0.1)\ny = random.random()\n"
           "H = nx.gnp_random_graph(5, 0.1, seed=rng)\n")
    found = offenders_in(bad, "planted.py")
    assert len(found) == 3
    assert any("np.random.rand" in f for f in found)
    assert any("gnp_random_graph without seed" in f for f in found)
    assert any("random.random" in f for f in found)
