"""The word-of-mouth model: array engine, rules, and the Mesa shell."""

from viralsim.model.mesa_model import Seller, ViralModel, simulate

__all__ = ["Seller", "ViralModel", "simulate"]
