"""The machine line every benchmark prints: CPU model, logical cores, library versions."""

from __future__ import annotations

import os
import platform


def machine(*modules: str) -> str:
    """'CPU, N logical cores; Python x, NumPy y[, <module> z ...]' for the benchmark headers."""
    import importlib

    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = [f"Python {platform.python_version()}"]
    for name in ("numpy", *modules):
        mod = importlib.import_module(name)
        label = {"numpy": "NumPy", "mesa": "Mesa"}.get(name, name)
        versions.append(f"{label} {mod.__version__}")
    return f"{cpu}, {os.cpu_count()} logical cores; " + ", ".join(versions)
