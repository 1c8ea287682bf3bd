"""Imports between viralsim's modules run one way, down a fixed order of layers.

Layers, lowest first (a module may import modules of its own layer and of the layers before it,
never of a later one):

1. ``base``: the package root (the version only), ``_jit`` (compiled-loop helpers and random
   draws inside kernels; the network's CSR builder uses it too), ``_rng`` (seeded streams),
   ``edgelist_format`` and ``folders`` (output folders: signatures, atomic replacement, locks).
2. ``config``: the run configuration (``config.*``: YAML reading, preset files, the schema,
   the parameter registry, messages, loading) and ``resources`` (memory and disk estimates).
3. ``network``: friend networks (generators, CSR topology, edge-list I/O).
4. ``model``: the engine (relations, state, rules, the day's pipeline, outputs' names).
5. ``metrics``: a run's tables and KPIs.
6. ``shell``: the model's Mesa shell (``model.mesa_model``) and the reference engine
   (``model.reference``), which build a run's tables with ``metrics``.
7. ``results``: results on disk (``results.run_folder``, ``sweep_folder``, ``run_rows``,
   ``columns``, ``stats``, ``provenance``, ``run_overview``).
8. ``experiment``: specs, designs, seeds, runs, executors, sweeps (``experiment.*``) and
   ``whatif``.
9. ``analysis``: sensitivity indices, figures and the HTML report of an experiment.
10. ``interface``: ``cli``, ``__main__``, the teaching ``app`` and ``demo``.

Every import counts: module level, inside functions, under ``if TYPE_CHECKING:``, absolute and
relative (``from . import x``). ``from package import name`` counts as importing the submodule
``package.name`` when there is one, else the package itself.

Further rules:

* No import cycles, not even inside a layer (function-level imports included).
* Underscore names are private to their module: no ``from x import _name`` and no
  ``x._name`` on an imported module (dunders such as ``__version__`` are public). A private
  module (a dotted name with a segment starting with ``_``, e.g. ``viralsim.model.rules._util``)
  may be imported only by modules inside the package that holds it (``viralsim.model.rules.*``;
  ``viralsim._jit`` and ``viralsim._rng`` are held by ``viralsim`` itself, so any module may).

A package may re-export its own modules' names (``viralsim.model`` lends ``ViralModel`` from its
Mesa shell, loaded on first use): its submodules never import the package's re-exports, so this
is no dependency of a lower module on a higher one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: layers, lowest first: (name, module prefixes); a module belongs to the longest prefix that
#: matches it (the prefix itself or a dotted name below it)
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("viralsim", "viralsim._jit", "viralsim._rng", "viralsim.edgelist_format", "viralsim.folders")),
    ("config", ("viralsim.config", "viralsim.resources")),
    ("network", ("viralsim.network",)),
    ("model", ("viralsim.model",)),
    ("metrics", ("viralsim.metrics",)),
    ("shell", ("viralsim.model.mesa_model", "viralsim.model.reference")),
    ("results", ("viralsim.results",)),
    ("experiment", ("viralsim.experiment", "viralsim.whatif")),
    ("analysis", ("viralsim.analysis",)),
    ("interface", ("viralsim.cli", "viralsim.__main__", "viralsim.app", "viralsim.demo")),
)

# --- the checker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Module:
    """A module's name, source text and where it came from."""

    name: str
    source: str
    path: str
    is_package: bool = False


@dataclass(frozen=True)
class Import:
    """One use of another module: ``target`` imported (``name`` None), or a name taken from it."""

    importer: str
    target: str
    name: str | None
    line: int
    path: str


@dataclass(frozen=True)
class Violation:
    """An import that breaks a rule: ``kind`` is ``upward``, ``private`` or ``cycle``."""

    importer: str
    imported: str
    kind: str
    rule: str
    where: str

    @property
    def key(self) -> tuple[str, str]:
        return self.importer, self.imported

    def __str__(self) -> str:
        return f"{self.where}: {self.importer} imports {self.imported}: {self.rule}"


def read_modules(root: Path = SRC) -> dict[str, Module]:
    """Every module under ``root/viralsim``, by dotted name."""
    modules = {}
    for path in sorted((root / "viralsim").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        package = parts[-1] == "__init__"
        if package:
            parts.pop()
        name = ".".join(parts)
        modules[name] = Module(name, path.read_text(encoding="utf-8"), str(path.relative_to(root.parent)), package)
    return modules


def layer_of(module: str) -> int:
    """Index of ``module``'s layer in :data:`LAYERS`; KeyError if no layer claims it."""
    best, index = "", None
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, index = prefix, i
    if index is None:
        raise KeyError(module)
    return index


def imports_of(module: Module, known: Iterable[str]) -> list[Import]:
    """Every viralsim import of ``module`` (module level, in functions, under TYPE_CHECKING;
    absolute and relative), and every ``alias._name`` on an imported viralsim module."""
    known = set(known)
    tree = ast.parse(module.source, filename=module.path)
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    found: dict[tuple, Import] = {}
    bound: dict[str, str] = {}  # local name -> viralsim module it names

    def add(target: str, name: str | None, node: ast.AST) -> None:
        found.setdefault((target, name, node.lineno), Import(module.name, target, name, node.lineno, module.path))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "viralsim":
                    continue
                add(alias.name, None, node)
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "viralsim":
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in known:
                    add(sub, None, node)
                    bound[alias.asname or alias.name] = sub
                else:
                    add(source, alias.name, node)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
            chain = []
            inner: ast.AST = node
            while isinstance(inner, ast.Attribute):
                chain.append(inner.attr)
                inner = inner.value
            if not isinstance(inner, ast.Name) or inner.id not in bound:
                continue
            current = bound[inner.id]
            for attr in reversed(chain):
                if f"{current}.{attr}" in known:
                    current = f"{current}.{attr}"
                    continue
                if _private(attr):
                    add(current, attr, node)
                break
    return sorted(found.values(), key=lambda imp: imp.line)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_holder(module: str) -> str | None:
    """The package that holds a private module (``a.b`` for ``a.b._c.d``); None if it is public."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if _private(part):
            return ".".join(parts[:i])
    return None


def find_violations(modules: Mapping[str, Module]) -> list[Violation]:
    """Every import of ``modules`` that breaks a rule of this file's docstring, in file order."""
    violations: list[Violation] = []
    edges: dict[str, dict[str, Import]] = {name: {} for name in modules}
    for module in modules.values():
        for imp in imports_of(module, modules):
            where = f"{imp.path}:{imp.line}"
            target_layer = layer_of(imp.target)
            own_layer = layer_of(imp.importer)
            if imp.name is not None and _private(imp.name):
                violations.append(Violation(imp.importer, f"{imp.target}.{imp.name}", "private",
                                            f"'{imp.name}' is private to {imp.target}", where))
            own_reexport = modules[imp.importer].is_package and imp.target.startswith(imp.importer + ".")
            if target_layer > own_layer and not own_reexport:
                violations.append(Violation(
                    imp.importer, imp.target, "upward", f"upward import: layer {LAYERS[own_layer][0]!r} may not "
                                                        f"import layer {LAYERS[target_layer][0]!r}", where))
            holder = _private_holder(imp.target)
            if holder is not None and not (imp.importer == holder or imp.importer.startswith(holder + ".")):
                violations.append(Violation(imp.importer, imp.target, "private",
                                            f"a private module of {holder}, imported from outside it", where))
            if imp.target in modules and imp.target != imp.importer:
                edges[imp.importer].setdefault(imp.target, imp)
    for component in _cycles(edges):
        for a in sorted(component):
            for b, imp in sorted(edges[a].items()):
                if b in component:
                    violations.append(Violation(a, b, "cycle", f"import cycle among {', '.join(sorted(component))}",
                                                f"{imp.path}:{imp.line}"))
    return list(dict.fromkeys(violations))  # one line per import, however many names it takes


def _cycles(edges: Mapping[str, Mapping[str, object]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out




# --- the package ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return read_modules()


def test_every_module_has_a_layer(modules):
    unplaced = []
    for name in modules:
        try:
            layer_of(name)
        except KeyError:
            unplaced.append(name)
    assert not unplaced, f"modules in no layer (add them to LAYERS): {', '.join(unplaced)}"


def test_imports_follow_the_layers(modules):
    violations = find_violations(modules)
    assert not violations, "imports that break the architecture rules:\n" + "\n".join(map(str, violations))


# --- the checker catches what it should --------------------------------------------------------


def _with(modules: Mapping[str, Module], name: str, source: str, *, package: bool = False) -> dict[str, Module]:
    fake = Module(name, source, f"src/{name.replace('.', '/')}{'/__init__' if package else ''}.py", package)
    return {**modules, name: fake}


def _found(modules: Mapping[str, Module], *importers: str) -> set[tuple[str, str, str]]:
    return {(v.importer, v.imported, v.kind) for v in find_violations(modules) if v.importer in importers}


@pytest.mark.parametrize("source", [
    "from viralsim.experiment import sweep\n",
    "import viralsim.experiment.sweep\n",
    "import viralsim.experiment.sweep as s\n",
    "def f():\n    from viralsim.experiment.sweep import run_sweep\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from viralsim.experiment.sweep import run_sweep\n",
    "def f():\n    from ..experiment import sweep\n",
    "from ..experiment.sweep import run_sweep\n",
])
def test_a_planted_upward_import_is_caught(modules, source):
    planted = _with(modules, "viralsim.network.planted", source)
    found = _found(planted, "viralsim.network.planted")
    assert ("viralsim.network.planted", "viralsim.experiment.sweep", "upward") in found
    message = "\n".join(str(v) for v in find_violations(planted) if v.importer == "viralsim.network.planted")
    assert "src/viralsim/network/planted.py:" in message and "may not import layer 'experiment'" in message


def test_relative_imports_resolve_as_python_does(modules):
    source = "from . import cli\nfrom .. import build\nfrom .io import read_edgelist\n"
    as_module = Module("viralsim.network.planted", source, "planted.py")
    as_package = Module("viralsim.network.planted", source, "planted/__init__.py", is_package=True)
    # in a module '.' is its package; in a package's __init__ '.' is the package itself
    assert {(i.target, i.name) for i in imports_of(as_module, modules)} == {
        ("viralsim.network", "cli"), ("viralsim", "build"), ("viralsim.network.io", "read_edgelist")}
    assert {(i.target, i.name) for i in imports_of(as_package, modules)} == {
        ("viralsim.network.planted", "cli"), ("viralsim.network.build", None),
        ("viralsim.network.planted.io", "read_edgelist")}
    planted = _with(modules, "viralsim.planted", "from . import cli\n")  # viralsim/planted.py, in base
    assert _found(planted, "viralsim.planted") == {("viralsim.planted", "viralsim.cli", "upward")}
    planted = _with(modules, "viralsim.network.planted", "from .. import cli\n", package=True)
    assert _found(planted, "viralsim.network.planted") == set()  # viralsim.network.cli: no such module


@pytest.mark.parametrize("source, imported", [
    ("from viralsim.folders import _clip\n", "viralsim.folders._clip"),
    ("def f():\n    from viralsim.folders import _clip\n", "viralsim.folders._clip"),
    ("from viralsim import folders\n\ndef f(e):\n    return folders._clip(e)\n", "viralsim.folders._clip"),
    ("import viralsim.folders\n\nx = viralsim.folders._clip\n", "viralsim.folders._clip"),
    ("from viralsim.config import load as cfg\n\nx = cfg._show\n", "viralsim.config.load._show"),
    ("from viralsim.model.rules._util import half_life_factor\n", "viralsim.model.rules._util"),
])
def test_a_planted_private_import_is_caught(modules, source, imported):
    planted = _with(modules, "viralsim.results.planted", source)
    assert imported in {v.imported for v in find_violations(planted) if v.importer == "viralsim.results.planted"}


def test_public_and_dunder_names_and_own_private_modules_pass(modules):
    planted = _with(modules, "viralsim.model.rules.planted",
                    "from viralsim import __version__\nfrom viralsim._jit import kernel\n"
                    "from viralsim.model.rules._util import half_life_factor\n")
    assert _found(planted, "viralsim.model.rules.planted") == set()


def test_a_planted_cycle_is_caught(modules):
    planted = _with(_with(modules, "viralsim.results.one", "def f():\n    from viralsim.results import two\n"),
                    "viralsim.results.two", "from viralsim.results.one import f\n")
    assert _found(planted, "viralsim.results.one", "viralsim.results.two") == {
        ("viralsim.results.one", "viralsim.results.two", "cycle"),
        ("viralsim.results.two", "viralsim.results.one", "cycle")}


def test_a_module_without_a_layer_is_reported():
    with pytest.raises(KeyError):
        layer_of("elsewhere.module")


def test_a_package_may_reexport_its_own_modules_but_not_import_upward(modules):
    """``viralsim.model`` lends ``ViralModel`` from its shell; a package importing a higher layer
    outside itself is still caught."""
    lazy = "def __getattr__(name):\n    from viralsim.model import mesa_model\n    return mesa_model.ViralModel\n"
    assert not _found(_with(modules, "viralsim.model", lazy, package=True), "viralsim.model")
    upward = "def __getattr__(name):\n    from viralsim.results import run_folder\n"
    assert ("viralsim.model", "viralsim.results.run_folder", "upward") in _found(
        _with(modules, "viralsim.model", upward, package=True), "viralsim.model")
