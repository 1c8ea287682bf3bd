"""The model behind the web app: a ViralModel built from a config plus the app's levers.

This module needs no web stack (no Solara, no Mesa visualization), so the levers and the model
can be used and tested from plain Python. The page (:mod:`viralsim.app.page`) only draws them.

Levers and when they act
------------------------
*Per seller, from the next day* (the running model is changed between two steps): strategy
preset, posts per day, ad share of the posts, product quality.
*On Reset* (the market is rebuilt from the config with the levers applied): trust half-life,
platform moderation, network size, run number (seed). Reset also re-applies the per-seller
levers, so a reset market starts with everything the page shows.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from viralsim.config.load import ConfigError, load_config
from viralsim.config.presets import preset_names
from viralsim.config.registry import UiRange, ui_range
from viralsim.config.schema import ContentMix, Product, RunConfig, SellerSpec, Strategy, TrustParams, param_of
from viralsim.model import ViralModel

__all__ = [
    "AppModel",
    "Levers",
    "SellerLevers",
    "DEFAULT_APP_CONFIG",
    "MAX_NETWORK_SIZE",
    "START_NETWORK_SIZE",
    "app_config",
    "describe_market",
    "preset_defaults",
    "apply_levers",
    "default_levers",
    "rescale_content",
    "seller_spec",
    "Slider",
    "sliders",
]

#: largest network the app draws: the network-size slider stops here even where the
#: parameter's own range goes further
MAX_NETWORK_SIZE = 1000
#: size the app starts with when the config's network is larger than MAX_NETWORK_SIZE
START_NETWORK_SIZE = 300

#: the market ``viralsim app`` shows without a CONFIG: a spam seller and a community seller
#: in one friend-circle network of 300 people (small enough to draw every person)
DEFAULT_APP_CONFIG: dict[str, Any] = {
    "name": "classroom",
    "seed": 1,
    "days": 365,
    "network": {"kind": "friend_circles", "n": 300},
    "sellers": {
        "spam": {"strategy": "spam"},
        "community": {"strategy": "community"},
    },
}


@dataclass(frozen=True)
class Slider:
    """A lever's slider, read from the parameter registry: label, unit and range."""

    label: str
    unit: str
    low: float
    high: float
    step: float

    @classmethod
    def of(cls, model: type, name: str, *, step: float = 1.0) -> Slider:
        """The slider of field ``name`` of schema class ``model`` (``step`` where the registry
        gives none)."""
        meta = param_of(model, name)
        rng: UiRange = ui_range(model, name)
        return cls(meta.label, meta.unit, rng.low, rng.high, rng.step if rng.step is not None else step)


def sliders(config: RunConfig) -> dict[str, Slider]:
    """The sliders of the app's levers for ``config``: the market levers ``trust_half_life`` and
    ``network_size`` (None when the network kind has no size setting) and the seller levers
    ``posts_per_day``, ``ad_share`` and ``quality``."""
    out = {
        "trust_half_life": Slider.of(TrustParams, "half_life"),
        "posts_per_day": Slider.of(Strategy, "posts_per_day"),
        "ad_share": Slider.of(ContentMix, "ad"),
        "quality": Slider.of(Product, "quality"),
    }
    kind = type(config.network)
    if "n" in kind.model_fields:
        size = Slider.of(kind, "n")
        out["network_size"] = replace(size, high=min(size.high, MAX_NETWORK_SIZE))
    return out


def app_config(path: str | Path | None = None, overrides: tuple[str, ...] = ()) -> RunConfig:
    """The app's base configuration: ``path`` loaded like ``viralsim run`` does, or the default.

    Raises :class:`viralsim.config.load.ConfigError` for a bad file or override.
    """
    if path is None:
        config = RunConfig.model_validate(DEFAULT_APP_CONFIG)
        if overrides:
            # Route overrides through the loader so they get its checks and messages.
            with tempfile.TemporaryDirectory() as tmp:
                file = Path(tmp) / "classroom.yaml"
                file.write_text(yaml.safe_dump(DEFAULT_APP_CONFIG), encoding="utf-8")
                try:
                    config = load_config(file, overrides=list(overrides))
                except ConfigError as exc:
                    raise ConfigError(str(exc).replace(str(file), "the built-in classroom market")) from None
        return config
    return load_config(path, overrides=list(overrides))


@dataclass(frozen=True)
class SellerLevers:
    """The levers of one seller: what she posts and what she sells.

    Attributes
    ----------
    preset : name of a strategy preset (``viralsim presets``)
    posts_per_day : Moments posts per day (replaces the preset's)
    ad_share : share of those posts that are hard ads; the other content types keep their
        preset proportions (see :func:`rescale_content`)
    quality : probability that a purchase satisfies (``product.quality``)
    """

    preset: str
    posts_per_day: float
    ad_share: float
    quality: float


@dataclass(frozen=True)
class Levers:
    """Everything the app's control panel sets.

    Attributes
    ----------
    focus : the seller whose contacts the network drawing colours, and whose levers the panel shows
    sellers : per-seller levers, by seller name (every seller of the config)
    trust_half_life : days for trust to relax half-way back to its baseline (``trust.half_life``)
    moderation : platform harassment prompt on (``platform.moderation = harassment_prompt``)
    network_size : people in the network (``network.n``); None for networks without a size
        setting (``sbm``, ``edgelist``), which keep the config's graph
    seed : the market's random seed (graph, placement and dynamics)
    """

    focus: str
    sellers: Mapping[str, SellerLevers]
    trust_half_life: float
    moderation: bool
    network_size: int | None
    seed: int
    #: the config's network size when it was larger than the app draws (for a note on the page)
    scaled_from: int | None = field(default=None, compare=False)

    def seller(self, name: str | None = None) -> SellerLevers:
        """Levers of seller ``name`` (default: the focus seller)."""
        return self.sellers[name or self.focus]

    def with_seller(self, name: str, **changes: Any) -> Levers:
        """A copy with some levers of seller ``name`` changed."""
        sellers = dict(self.sellers)
        sellers[name] = replace(sellers[name], **changes)
        return replace(self, sellers=sellers)


def default_levers(config: RunConfig, focus: str | None = None) -> Levers:
    """The levers that reproduce ``config`` (network size capped at :data:`MAX_NETWORK_SIZE`).

    Parameters
    ----------
    config : RunConfig
        The base configuration.
    focus : str, optional
        Seller shown first; default: the first seller of the config.
    """
    sellers = {}
    for name, spec in config.sellers.items():
        strategy = spec.resolved
        sellers[name] = SellerLevers(
            preset=spec.strategy,
            posts_per_day=float(strategy.posts_per_day),
            ad_share=float(strategy.content.ad),
            quality=float(spec.product.quality),
        )
    n = getattr(config.network, "n", None)
    scaled_from = None
    if n is not None and n > MAX_NETWORK_SIZE:
        scaled_from, n = n, START_NETWORK_SIZE
    return Levers(
        focus=focus if focus is not None else next(iter(config.sellers)),
        sellers=sellers,
        trust_half_life=float(config.trust.half_life),
        moderation=config.platform.moderation != "none",
        network_size=n,
        seed=config.seed,
        scaled_from=scaled_from,
    )


def rescale_content(content: ContentMix, ad_share: float) -> ContentMix:
    """The content mix with the ad share set to ``ad_share``.

    The other types (value, life, prize) share the rest in their original proportions; if the
    mix had nothing but ads, the rest becomes personal-life posts.
    """
    ad = min(max(float(ad_share), 0.0), 1.0)
    if abs(ad - content.ad) < 1e-12:
        return content
    rest = {"value": content.value, "life": content.life, "prize": content.prize}
    total = sum(rest.values())
    if total <= 0.0:
        shares = {"value": 0.0, "life": 1.0 - ad, "prize": 0.0}
    else:
        shares = {k: v * (1.0 - ad) / total for k, v in rest.items()}
    # Put the rounding residue on the largest share so the mix sums to 1 exactly enough.
    largest = max(shares, key=shares.get)
    shares[largest] = max(0.0, 1.0 - ad - sum(v for k, v in shares.items() if k != largest))
    return ContentMix(ad=ad, **shares)


def seller_spec(spec: SellerSpec, levers: SellerLevers) -> SellerSpec:
    """The seller spec with her levers applied (preset, posts per day, ad share, quality)."""
    if levers.preset not in preset_names():
        raise ValueError(f"unknown strategy preset {levers.preset!r}; allowed: {', '.join(preset_names())}")
    under_preset = spec.model_copy(update={"strategy": levers.preset})
    base_content = under_preset.resolved.content
    return spec.model_copy(update={
        "strategy": levers.preset,
        "posts_per_day": float(levers.posts_per_day),
        "content": rescale_content(base_content, levers.ad_share),
        "product": spec.product.model_copy(update={"quality": float(levers.quality)}),
    })


def apply_levers(config: RunConfig, levers: Levers) -> RunConfig:
    """``config`` with every lever applied, validated like a config file."""
    data = config.model_dump()
    data["seed"] = int(levers.seed)
    data["trust"]["half_life"] = float(levers.trust_half_life)
    data["platform"]["moderation"] = "harassment_prompt" if levers.moderation else "none"
    if levers.network_size is not None and "n" in data["network"]:
        data["network"]["n"] = int(levers.network_size)
    data["sellers"] = {
        name: seller_spec(spec, levers.sellers[name]).model_dump() if name in levers.sellers else spec.model_dump()
        for name, spec in config.sellers.items()
    }
    return RunConfig.model_validate(data)


def _current(levers: Any) -> Levers | None:
    """Levers from a plain value or from a holder with ``.value`` (the page's reactive variable)."""
    if levers is None or isinstance(levers, Levers):
        return levers
    value = getattr(levers, "value", None)
    if isinstance(value, Levers):
        return value
    raise TypeError(f"levers must be Levers or hold Levers in .value, got {type(levers).__name__}")


class AppModel(ViralModel):
    """A :class:`~viralsim.model.ViralModel` built from a base config and the app's levers.

    Mesa's SolaraViz rebuilds the model on Reset as ``AppModel(**model_params)``; the page passes
    its reactive lever variable as ``levers``, so a reset market reads the levers the panel shows
    at that moment.

    Parameters
    ----------
    config : RunConfig, optional
        Base configuration (default :data:`DEFAULT_APP_CONFIG`).
    levers : Levers or an object whose ``.value`` is Levers, optional
        Default: :func:`default_levers` of ``config``.
    trust_half_life, moderation, network_size : optional
        Market levers; when given they replace the ones in ``levers`` (the page's "Model
        Parameters" card passes them, Mesa-style, on Reset). ``network_size`` is ignored for
        networks without a size setting.
    run : int, optional
        Run number: the seed becomes the config's seed plus ``run`` (another market drawn from
        the same config: another graph, placement and history).

    Attributes
    ----------
    base_config : the config before levers
    levers : the levers the model was built with, updated by :meth:`set_seller_levers`
    focus : index of the focus seller
    """

    def __init__(
        self,
        config: RunConfig | None = None,
        levers: Any = None,
        *,
        trust_half_life: float | None = None,
        moderation: bool | None = None,
        network_size: int | None = None,
        run: int | None = None,
    ):
        base = config if config is not None else app_config()
        lv = _current(levers) or default_levers(base)
        market = {}
        if trust_half_life is not None:
            market["trust_half_life"] = float(trust_half_life)
        if moderation is not None:
            market["moderation"] = bool(moderation)
        if network_size is not None and lv.network_size is not None:
            market["network_size"] = int(network_size)
        if run is not None:
            market["seed"] = int(base.seed) + int(run)
        lv = replace(lv, **market)
        super().__init__(apply_levers(base, lv))
        self.base_config = base
        self.levers = lv
        self.focus = self.seller_index(lv.focus)

    # --- sellers -------------------------------------------------------------------------------

    @property
    def seller_names(self) -> list[str]:
        return [s.name for s in self.sellers]

    def seller_index(self, name: str) -> int:
        try:
            return self.seller_names.index(name)
        except ValueError:
            raise ValueError(f"no seller {name!r}; sellers: {', '.join(self.seller_names)}") from None

    def set_focus(self, name: str) -> None:
        """Show seller ``name`` in the network drawing."""
        self.focus = self.seller_index(name)
        self.levers = replace(self.levers, focus=name)

    def set_seller_levers(self, name: str, levers: SellerLevers) -> None:
        """Change a seller's strategy and product quality from the next day on."""
        seller = self.sellers[self.seller_index(name)]
        spec = seller_spec(self.config.sellers[name], levers)
        seller.spec = spec
        seller.strategy = spec.resolved
        seller.product = spec.product
        self.levers = self.levers.with_seller(name, **vars(levers))

    # --- views for the page --------------------------------------------------------------------

    def series(self):
        """Daily rows so far, one per (day, seller): the DataCollector's seller reporters.

        Returns a DataFrame with columns ``day, seller, purchases, customers, mean_trust,
        mean_annoyance, muted, blocked, followers, revenue`` (empty before the first step).
        """
        cols = ["purchases", "customers", "mean_trust", "mean_annoyance", "muted", "blocked", "followers", "revenue"]
        if self.day == 0:  # nothing collected yet (Mesa's empty frame has no usable index)
            return pd.DataFrame(columns=["day", "seller", *cols])
        cached = getattr(self, "_series", None)
        if cached is not None and cached[0] == self.day:
            return cached[1]
        df = self.datacollector.get_agent_vars_dataframe()
        names = {s.unique_id: s.name for s in self.sellers}
        df = df.reset_index()
        df["seller"] = df["AgentID"].map(names)
        df = df.rename(columns={"Step": "day"})
        out = df[["day", "seller", *cols]]
        self._series = (self.day, out)
        return out

    def status(self) -> dict[str, Any]:
        """Today's headline numbers for the focus seller (day, sales so far, muted, blocked, trust)."""
        seller = self.sellers[self.focus]
        today = seller.today or {}
        rows = self.series()
        sales = float(rows.loc[rows["seller"] == seller.name, "purchases"].sum())
        return {
            "day": self.day,
            "seller": seller.name,
            "sales": int(sales),
            "customers": int(today.get("customers", 0)),
            "muted": int(today.get("muted", 0)),
            "blocked": int(today.get("blocked", 0)),
            "followers": int(today.get("followers", 0)),
            "mean_trust": float(today.get("mean_trust", float("nan"))),
        }


def describe_market(model: AppModel) -> str:
    """The market levers the model runs with, in words (shown under the day counter)."""
    c = model.config
    size = f"{model.state.n:,} people" if model.state is not None else ""
    moderation = "on" if c.platform.moderation != "none" else "off"
    return f"{size}, trust half-life {c.trust.half_life:g} days, moderation {moderation}, seed {c.seed}"


def preset_defaults(name: str) -> tuple[float, float]:
    """(posts per day, ad share) of preset ``name``: what the sliders jump to when it is chosen."""
    strategy = Strategy.from_preset(name)
    return float(strategy.posts_per_day), float(strategy.content.ad)
