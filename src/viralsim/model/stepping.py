"""Stepping a market for some days, with a progress bar if asked: shared by both engines."""

from __future__ import annotations


def run_days(model, days: int | None, *, progress: bool = False):
    """Step ``model`` for ``days`` days (default: the rest of its config's horizon); shared by both engines."""
    days = model.config.days - model.day if days is None else days
    it = range(days)
    if progress:
        from tqdm import tqdm  # (lazy: only interactive runs show a bar)
        it = tqdm(it, desc=model.config.name, unit="day", leave=False)
    for _ in it:
        model.step()
    return model
