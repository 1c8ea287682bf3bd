"""viralsim: agent-based simulation of social-commerce word of mouth on friend-circle graphs."""

__version__ = "0.1.0"


def __getattr__(name):
    # Lazy re-exports keep `viralsim --help` fast (no NumPy/Mesa import for the CLI parser).
    if name in ("simulate", "ViralModel", "Seller"):
        from viralsim import model
        return getattr(model, name)
    if name == "load_config":
        from viralsim.config.load import load_config
        return load_config
    raise AttributeError(name)
