"""viralsim: agent-based simulation of social-commerce word of mouth on friend-circle graphs.

The package root holds only the version: every module imports it, so it must import nothing
(the layers are described and checked in ``tests/test_architecture.py``). Import what you use from its module, e.g.
``from viralsim.model import simulate`` and ``from viralsim.config.load import load_config``.
"""

__version__ = "0.1.0"
