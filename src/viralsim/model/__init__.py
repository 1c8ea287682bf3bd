"""The word-of-mouth model: relations, rules, the day's pipeline, and the Mesa shell.

``ViralModel``, ``Seller`` and ``simulate`` are loaded on first use: the model's own low modules
(``outputs``, ``relations``, the rules) are imported by metrics, which the Mesa shell imports.
"""

__all__ = ["Seller", "ViralModel", "simulate"]


def __getattr__(name: str):
    # Lazy: importing the package for a low module must not import the Mesa shell (and with it
    # metrics, which imports the model's outputs: a cycle).
    if name in __all__:
        from viralsim.model import mesa_model

        return getattr(mesa_model, name)
    raise AttributeError(f"module 'viralsim.model' has no attribute {name!r}")
