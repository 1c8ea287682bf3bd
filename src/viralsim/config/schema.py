"""Validated configuration of one viralsim run.

Every parameter of the model is declared here once, with its default, unit, allowed range and
source; ``docs/model.md`` (ODD protocol, section "Details / Parameters") mirrors this file.
The models are frozen and reject unknown keys, so a typo in a YAML file is an error that names
the dotted path of the bad field, never a silently ignored setting.

Every number is finite and bounded. Bounds are pydantic ``Field(ge=.., le=..)`` metadata (read
them off ``model_fields``), chosen generous for real use but so that the products the model
forms (rates x population x days, prices x purchases, per-post weights x posts seen) stay far
from float overflow. Types are strict: ``true`` is not a number, ``1`` is not a boolean, ``3.0``
and ``"3"`` are not whole numbers (a whole number is accepted where a real number is expected).
Settings that only make sense together (a lattice degree and the population, block sizes and
link probabilities) are checked together, with the message on the field to change.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
#: half-lives and mean durations in days: the model steps one day, so a hundredth of a day
#: already decays to 2^-100 within a step (anything shorter behaves the same); 10^6 days (2,700
#: years) is "never" for any horizon
HalfLife = Annotated[float, Field(ge=0.01, le=1e6)]
#: money per unit or action, in yuan: from one fen up to ten million; revenue and cost sums
#: (price x purchases over n people and 10^5 days) stay below 10^20
Price = Annotated[float, Field(ge=0.01, le=1e7)]
Money = Annotated[float, Field(ge=0.0, le=1e7)]
#: per-post and per-message annoyance weights; the mute and block thresholds are hundreds, so
#: one post worth a thousand is already an instant block
Weight = Annotated[float, Field(ge=0.0, le=1000.0)]
#: posts per day (seller, reseller, group, friend): the feed multiplies them by the degree (up to
#: the population) and annoyance weights
PostsPerDay = Annotated[float, Field(ge=0.0, le=1000.0)]
#: annoyance scales (mute and block thresholds, half-effect): the hazards raise them to the power
#: steepness <= 20, which stays finite for scales in [0.01, 10^6]
AnnoyanceScale = Annotated[float, Field(ge=0.01, le=1e6)]

#: most population of the generated networks (the generators keep node ids in int32)
MAX_PEOPLE = 50_000_000
#: longest horizon of a run, in days
MAX_DAYS = 100_000
#: most friendships a generated network may have: a billion edges need tens of GB to build
#: (about 70 bytes per edge at peak), so anything larger cannot be built on the machines this
#: runs on; it also keeps n x degree products far from integer overflow
MAX_EDGES = 1_000_000_000
#: smallest non-zero link probability of a stochastic block model: smaller ones cannot be drawn
#: by geometric skipping in 64-bit positions, and over the largest allowed network
#: (5 x 10^7 people, about 10^15 pairs) they give no link at all on average
MIN_SBM_PROB = 1e-15


class Frozen(BaseModel):
    # strict: booleans are not numbers, numbers are not booleans, 3.0 and "3" are not whole
    # numbers; a whole number is still a valid real number. allow_inf_nan: every number finite.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _known(info: ValidationInfo, *names: str) -> bool:
    """True when the fields a cross-check needs passed their own validation."""
    return all(name in info.data for name in names)


# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------


class FriendCirclesNet(Frozen):
    """Overlapping friend circles (family, classmates, colleagues, interest groups)."""

    kind: Literal["friend_circles"] = "friend_circles"
    n: Annotated[int, Field(ge=10, le=MAX_PEOPLE)] = 2000
    #: the generator's limit is 1000; fewer than n - 1 (there is nobody else to know), and
    #: n x weak ties / 2 at most MAX_EDGES
    weak_ties_per_person: Annotated[float, Field(ge=0.0, le=1000.0)] = 6.0

    @field_validator("weak_ties_per_person")
    @classmethod
    def _weak_ties_fit(cls, value: float, info: ValidationInfo) -> float:
        if _known(info, "n"):
            n = info.data["n"]
            if value > n - 1:
                raise ValueError(f"must be <= n - 1 = {n - 1} (network.n = {n}: nobody has more acquaintances "
                                 "than there are other people)")
            if n * value / 2 > MAX_EDGES:
                raise ValueError(f"must be <= {2 * MAX_EDGES / n:g} with network.n = {n} "
                                 f"(n x weak ties / 2 would exceed {MAX_EDGES:,} friendships)")
        return value


class WattsStrogatzNet(Frozen):
    kind: Literal["watts_strogatz"]
    n: Annotated[int, Field(ge=10, le=MAX_PEOPLE)] = 2000
    #: even, at most n - 1 (the ring has n - 1 others), n x k / 2 at most MAX_EDGES
    k: Annotated[int, Field(ge=2, le=1_000_000)] = 10
    p: Prob = 0.1
    strong_share: Prob = 0.7

    @field_validator("k")
    @classmethod
    def _k_fits(cls, value: int, info: ValidationInfo) -> int:
        if value % 2:
            raise ValueError("must be even (k/2 neighbours on each side of the ring)")
        if _known(info, "n"):
            n = info.data["n"]
            if value > n - 1:
                raise ValueError(f"must be <= n - 1 = {n - 1} (network.n = {n})")
            if n * value // 2 > MAX_EDGES:
                raise ValueError(f"must be <= {2 * MAX_EDGES // n} with network.n = {n} "
                                 f"(n x k / 2 would exceed {MAX_EDGES:,} friendships)")
        return value


def _check_m(value: int, info: ValidationInfo) -> int:
    if _known(info, "n"):
        n = info.data["n"]
        if value > n - 1:
            raise ValueError(f"must be <= n - 1 = {n - 1} (network.n = {n}: a newcomer links to existing people)")
        if n * value > MAX_EDGES:
            raise ValueError(f"must be <= {MAX_EDGES // n} with network.n = {n} "
                             f"(n x m would exceed {MAX_EDGES:,} friendships)")
    return value


class HolmeKimNet(Frozen):
    kind: Literal["holme_kim"]
    n: Annotated[int, Field(ge=10, le=5_000_000)] = 2000
    #: at most n - 1, and n x m at most MAX_EDGES
    m: Annotated[int, Field(ge=1, le=100_000)] = 5
    p: Prob = 0.3
    strong_share: Prob = 0.7

    _m_fits = field_validator("m")(_check_m)


class BarabasiAlbertNet(Frozen):
    kind: Literal["barabasi_albert"]
    n: Annotated[int, Field(ge=10, le=5_000_000)] = 2000
    #: at most n - 1, and n x m at most MAX_EDGES
    m: Annotated[int, Field(ge=1, le=100_000)] = 5
    strong_share: Prob = 0.7

    _m_fits = field_validator("m")(_check_m)


class StochasticBlockNet(Frozen):
    """Blocks of ``sizes`` people; the total is the population, in [2, MAX_PEOPLE]. Link
    probabilities are 0 or at least MIN_SBM_PROB, and the expected number of links at most
    MAX_EDGES (checked on ``p_in`` for links within blocks, on ``p_out`` for all)."""

    kind: Literal["sbm"]
    sizes: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_PEOPLE)]], Field(min_length=1, max_length=1_000_000)
    ] = [500, 500, 500, 500]
    p_in: Prob = 0.03
    p_out: Prob = 0.001

    @field_validator("sizes")
    @classmethod
    def _total_fits(cls, value: list[int]) -> list[int]:
        total = sum(value)
        if not 2 <= total <= MAX_PEOPLE:
            raise ValueError(f"the blocks must hold 2 to {MAX_PEOPLE:,} people in all, got {total:,}")
        return value

    @field_validator("p_in", "p_out")
    @classmethod
    def _drawable(cls, value: float) -> float:
        if 0.0 < value < MIN_SBM_PROB:
            raise ValueError(f"must be 0 or >= {MIN_SBM_PROB:g} (smaller link probabilities cannot be drawn)")
        return value

    @field_validator("p_in")
    @classmethod
    def _within_fits(cls, value: float, info: ValidationInfo) -> float:
        if _known(info, "sizes"):
            pairs = _within_pairs(info.data["sizes"])
            if value * pairs > MAX_EDGES:
                raise ValueError(f"must be <= {MAX_EDGES / pairs:.3g} with these block sizes ({pairs:,} pairs "
                                 f"within blocks; at most {MAX_EDGES:,} links)")
        return value

    @field_validator("p_out")
    @classmethod
    def _between_fits(cls, value: float, info: ValidationInfo) -> float:
        if _known(info, "sizes", "p_in"):
            sizes = info.data["sizes"]
            n = sum(sizes)
            within = _within_pairs(sizes)
            between = n * (n - 1) // 2 - within
            room = MAX_EDGES - info.data["p_in"] * within
            if value * between > room:
                raise ValueError(f"must be <= {max(room, 0) / between:.3g} with these block sizes and p_in = "
                                 f"{info.data['p_in']:g} ({between:,} pairs between blocks; at most "
                                 f"{MAX_EDGES:,} links in all)")
        return value


def _within_pairs(sizes: list[int]) -> int:
    return sum(s * (s - 1) // 2 for s in sizes)


class CompleteNet(Frozen):
    """Complete graph: the mean-field limit used to dock the model with the Bass (1969) model."""

    kind: Literal["complete"]
    n: Annotated[int, Field(ge=2, le=MAX_PEOPLE)] = 10_000


class EdgeListNet(Frozen):
    """A real network from a SNAP-style edge list; ``facebook`` names the bundled ego-Facebook file.

    A relative ``path`` is read from the working directory. The file itself (exists, readable,
    parses, has an edge) is checked when the config is loaded (``viralsim.config.load``).
    """

    kind: Literal["edgelist"]
    path: Annotated[str, Field(min_length=1, max_length=4096)] = "facebook"
    strength_method: Literal["embeddedness", "random"] = "embeddedness"
    strong_share: Prob = 0.7


NetworkSpec = Annotated[
    Union[
        FriendCirclesNet,
        WattsStrogatzNet,
        HolmeKimNet,
        BarabasiAlbertNet,
        StochasticBlockNet,
        CompleteNet,
        EdgeListNet,
    ],
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------------------------------------
# Consumer behaviour
# ---------------------------------------------------------------------------------------------


class FeedParams(Frozen):
    """Feed and attention (seed 003 L79: attention is a limited budget; seed 000 L461, seed 002 L349)."""

    #: posts a fully active consumer reads per day, summed over both slots
    #: (up to 10^7: docking setups read "every post", with 10^6)
    attention_per_day: Annotated[float, Field(gt=0.0, le=1e7)] = 60.0
    #: personal-life posts each friend contributes to the feed per day
    friend_posts_per_day: PostsPerDay = 1.0
    #: share of reading (and of organic posts) in the idle slot (evenings/weekends; seed 003 L79)
    idle_share: Prob = 0.6
    #: share of clock hours that are idle (outside workdays 08-18), where "mixed" posting lands
    #: (seed 003 L81, L115; 27-30 % of hours are busy)
    idle_hours_share: Prob = 0.7
    #: how strongly commercial share of the feed lowers platform activity (seed 000 L461)
    activity_sensitivity: Prob = 0.6
    #: half-life (days) of the adjustment of platform activity to the feed's commercial share
    activity_half_life: HalfLife = 7.0


class TrustParams(Frozen):
    """Trust per consumer x seller in [0, 1] (seed 000 L113, L137, L209; seed 003 L65)."""

    enabled: bool = True
    #: initial trust (and relaxation baseline) by tie to the seller: strong friend > weak > stranger
    prior_strong: Prob = 0.6
    prior_weak: Prob = 0.35
    prior_stranger: Prob = 0.2
    #: half-life (days) of relaxation toward the baseline when nothing happens
    half_life: HalfLife = 60.0
    #: fractional gain toward 1 per seen value-content post (seed 003 L65: non-ad content moves attitudes)
    gain_value: Prob = 0.02
    #: fractional gain toward 1 for an answered enquiry (seed 001 L32, L41)
    gain_reply: Prob = 0.10
    #: fractional gain toward 1 after a satisfying purchase
    gain_good_purchase: Prob = 0.15
    #: trust transfer: a recommendation moves the receiver's trust this share of the way toward the
    #: recommender's trust, x tie weight (seed 002 L239: sharers' trust endorsement; seed 003 L19)
    gain_recommendation: Prob = 0.5
    #: multiplier on value-content gains inside a small group (seed 002 L359-361)
    group_gain_multiplier: Annotated[float, Field(ge=1.0, le=10.0)] = 1.5
    #: fractional loss toward 0 after a bad purchase (lost faster than gained; seed 000 L137)
    loss_bad_purchase: Prob = 0.40
    #: fractional loss per warning (negative word of mouth) from a friend, x tie weight (seed 004 L119)
    loss_warning: Prob = 0.15
    #: maximal fractional loss per unwanted contact (ad, unsolicited message) when annoyed:
    #: T (1 - l A/(A + A_half)) per contact (selling before trust backfires; seed 001 L34)
    loss_per_unwanted: Prob = 0.002
    #: fractional loss for an enquiry the seller does not answer (seed 002 L283)
    loss_unanswered: Prob = 0.03


class AnnoyanceParams(Frozen):
    """Annoyance: a fast-decaying stock fed by commercial exposures (Kronrod & Huber 2019)."""

    enabled: bool = True
    #: half-life (days) of annoyance; fast compared with trust (Kronrod & Huber 2019)
    half_life: HalfLife = 3.0
    #: annoyance per seen post by content type (seed 000 L239-241: hard ads and promotions annoy)
    weight_ad: Weight = 1.0
    weight_prize: Weight = 0.5
    weight_value: Weight = 0.05
    weight_life: Weight = 0.0
    #: annoyance per unsolicited direct message (seed 001 L23: accosting is harassment)
    weight_message: Weight = 2.0
    #: factor on the message weight when it answers a need the consumer has (seed 001 L23, L30)
    solicited_factor: Prob = 0.2
    #: extra annoyance when trust is low: weight x (1 + low_trust_factor x (1 - trust)) (seed 001 L34)
    low_trust_factor: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    #: factor on ads seen in the idle slot (seed 003 L133)
    idle_ad_factor: Annotated[float, Field(ge=1.0, le=10.0)] = 1.5
    #: wear-out scale E_w: the k-th recent ad persuades 1/(1+k/E_w) as much as the first, and
    #: irritates (1 + k/(k+E_w)) times as much (Batra & Ray 1986: wear-out after 3-10 exposures)
    #: (at least a hundredth of an exposure: below that every ad after the first is worthless)
    wearout_exposures: Annotated[float, Field(ge=0.01, le=1e6)] = 10.0
    #: half-life (days) of the recent-exposure memory E
    exposure_memory_half_life: HalfLife = 7.0
    #: share of ads seen from *other* sellers that adds to annoyance toward every seller
    #: (total commercial load irritates; seed 003 L321)
    load_spillover: Prob = 0.2
    #: annoyance at which the purchase probability is halved and at which trust erosion per unwanted
    #: contact reaches half its maximum (same scale as the mute threshold)
    half_effect: AnnoyanceScale = 50.0


class TieParams(Frozen):
    """Mute (屏蔽, hide their Moments) and block/unfriend (拉黑) hazards (seed 000 L467)."""

    #: annoyance at which the daily mute hazard reaches half its maximum
    mute_threshold: AnnoyanceScale = 300.0
    #: annoyance at which the daily block hazard reaches half its maximum
    block_threshold: AnnoyanceScale = 600.0
    #: maximal daily hazards
    mute_max: Prob = 0.25
    block_max: Prob = 0.10
    #: Hill exponent of both hazards: hazard = max * A^h / (A^h + threshold^h), zero at A = 0
    steepness: Annotated[float, Field(ge=0.5, le=20.0)] = 1.5
    #: factor on the block hazard for strong ties (they still block; seed 000 L467)
    strong_block_factor: Prob = 0.5
    #: share of consumers who never mute or block a seller, however annoyed: 53.7 % of surveyed
    #: WeChat users say they block friends who post ads (China Youth Daily 2015), so 46.3 % do not
    tolerant_share: Prob = 0.463


class PurchaseParams(Frozen):
    """Needs, purchase, repurchase (seed 000 L107, L117, L155; seed 001 L88; seed 002 L367)."""

    #: daily probability that a consumer without a need develops one (category demand)
    need_rate: Prob = 0.02
    #: mean duration (days) of an unmet need before it lapses
    need_duration: HalfLife = 14.0
    #: needs created per effective ad seen (advertising taps latent needs; seed 004 L133)
    impulse_per_ad: Prob = 0.01
    #: purchase stimulus per (worn-in) ad seen / value post seen / direct message / answered enquiry
    ad_conversion: Prob = 0.02
    #: stimulus per prize/flash-sale post seen (seed 002 L263; seed 003 L127: prize posts pull most)
    prize_conversion: Prob = 0.04
    value_conversion: Prob = 0.005
    message_conversion: Prob = 0.05
    reply_conversion: Prob = 0.25
    #: stimulus per active group day for a group member
    group_conversion: Prob = 0.02
    #: conformity: stimulus x share of friends who bought from the seller (seed 000 L117; network Bass q)
    #: (the stimulus is capped at 1 a day, so q beyond 100 changes nothing)
    conformity: Annotated[float, Field(ge=0.0, le=100.0)] = 0.1
    #: probability that a consumer with a need who saw the seller's content asks a question, x trust gate
    enquiry_prob: Prob = 0.2
    #: trust at which an aware consumer counts as "interested" (funnel metric; group invitations)
    interest_threshold: Prob = 0.5
    #: price response: purchase probability x (reference_price / price) ** price_elasticity
    reference_price: Price = 100.0
    #: (price ratios span at most 10^9, so the factor stays below 10^90)
    price_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    #: trust gates conversion: purchase probability x T^h / (T^h + T_half^h) (seed 001 L34,
    #: seed 004 L17; seed 002 L367: deals need accumulated trust); off => x 1
    trust_gating: bool = True
    trust_half: Prob = 0.5
    trust_steepness: Annotated[float, Field(ge=0.5, le=20.0)] = 2.0
    #: needs always present and never cleared by purchase (for docking with the Bass model)
    always_need: bool = False
    #: customers may buy again from the same seller; off turns purchase into one-time adoption
    #: (for docking with the independent cascade and SI models)
    repurchase: bool = True


class WomParams(Frozen):
    """Word of mouth after purchase (Goldenberg, Libai & Muller 2001: beta_s > beta_w)."""

    #: probability a satisfied buyer recommends the seller to each friend
    recommend_prob: Prob = 0.25
    #: purchase stimulus per recommendation over a strong / weak tie (Goldenberg et al. 2001 ranges)
    strong_persuasion: Prob = 0.06
    weak_persuasion: Prob = 0.01
    #: half-life (days) of a recommendation's pull (Goldenberg et al.'s informed ties keep talking)
    referral_half_life: HalfLife = 14.0
    #: probability a dissatisfied buyer warns each friend (negative WOM; seed 000 L327, seed 004 L119)
    warn_prob: Prob = 0.3
    #: probability a consumer who blocks the seller warns each friend
    block_warn_prob: Prob = 0.05
    #: weight of weak ties relative to strong ones for trust transfer and warnings
    weak_tie_weight: Prob = 0.5


class PlatformParams(Frozen):
    """Platform moderation (seed 002 L341-355: 骚扰提示)."""

    moderation: Literal["none", "harassment_prompt"] = "none"
    #: accounts posting more than this many posts per day get their marketing posts folded (seed 002 L347)
    #: (sellers post at most 1000 a day, so a threshold of 1000 or more never folds)
    fold_threshold: Annotated[float, Field(ge=0.0, le=10_000.0)] = 100.0
    #: daily probability that a viewer opens a folded account's posts (seed 002 L345: "同意或者
    #: 不同意"; L351: "用户看不到你的信息" — mostly unseen): about once a year
    fold_view_prob: Prob = 0.0027


# ---------------------------------------------------------------------------------------------
# Sellers
# ---------------------------------------------------------------------------------------------


class ContentMix(Frozen):
    """Shares of a seller's posts by content type; must sum to 1."""

    ad: Prob = 0.5
    value: Prob = 0.2
    life: Prob = 0.3
    prize: Prob = 0.0

    @model_validator(mode="after")
    def _sums_to_one(self) -> "ContentMix":
        total = self.ad + self.value + self.life + self.prize
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"content shares must sum to 1 (ad+value+life+prize), got {total:g}")
        return self


class GroupParams(Frozen):
    """社群: small WeChat groups of ~100 (seed 002 L357-371)."""

    enabled: bool = False
    #: members a seller invites per day (customers first, then interested friends)
    invites_per_day: Annotated[float, Field(ge=0.0, le=100_000.0)] = 0.0
    #: value posts per day inside the groups
    posts_per_day: PostsPerDay = 2.0
    #: members per group (seed 002 L371: "百人群")
    size: Annotated[int, Field(ge=2, le=500)] = 100
    #: half-life (days) of group activity without value content (seed 002 L371)
    half_life: HalfLife = 10.0
    #: value posts per day that keep a group fully active; fewer posts => lower equilibrium activity
    sustain_posts_per_day: Annotated[float, Field(gt=0.0, le=1000.0)] = 2.0
    #: factor on the recommendation probability of group members (customers become fans and
    #: endorsers in post-purchase communities, seed 002 L369; seed 004 L393), capped at 1
    advocacy: Annotated[float, Field(ge=1.0, le=10.0)] = 2.0


class Strategy(Frozen):
    """What a seller does each day; presets live in ``configs/presets``."""

    posts_per_day: PostsPerDay = 3.0
    content: ContentMix = ContentMix()
    posting_slot: Literal["busy", "idle", "mixed"] = "mixed"
    #: strangers added as contacts per day (海量添加好友; seed 000 L137, L245)
    strangers_per_day: Annotated[float, Field(ge=0.0, le=10_000.0)] = 0.0
    #: direct (private-chat) sales messages per day, and whom they go to (seed 001 L23)
    messages_per_day: Annotated[float, Field(ge=0.0, le=10_000.0)] = 0.0
    contact: Literal["push", "need"] = "push"
    #: enquiries answered per day (seed 001 L32; seed 002 L283)
    service_capacity: Annotated[float, Field(ge=0.0, le=1e6)] = 10.0
    groups: GroupParams = GroupParams()
    #: referral / group-buy discount as a share of price (裂变; seed 002 L261-265)
    referral_reward: Annotated[float, Field(ge=0.0, le=0.9)] = 0.0
    #: probability a satisfied buyer becomes a reseller (全员分销; seed 002 L235)
    reseller_prob: Prob = 0.0
    #: ads a reseller posts per day to her own friends
    reseller_posts_per_day: PostsPerDay = 0.0
    #: commission per reseller sale as a share of price
    reseller_commission: Prob = 0.2
    #: high-degree consumers given the product free on day 0 to seed word of mouth (seed 004 L225, L399)
    kol_seeds: Annotated[int, Field(ge=0, le=100_000)] = 0
    #: probability a seeded KOL recommends the product to each of her friends
    kol_reach: Prob = 0.5
    #: cost per action (yuan)
    cost_per_post: Money = 0.0
    cost_per_message: Money = 0.0
    cost_per_stranger: Money = 0.0
    cost_per_reply: Money = 0.0
    cost_per_kol: Money = 0.0
    cost_group_per_day: Money = 0.0


class Product(Frozen):
    #: probability a purchase satisfies (seed 002 L369, L373: quality is the basis of WOM)
    quality: Prob = 0.85
    price: Price = 100.0
    unit_cost: Money = 50.0


STRATEGY_FIELDS = tuple(Strategy.model_fields)


class SellerSpec(Frozen):
    """One seller: a preset strategy, optional overrides of any strategy field, a product."""

    strategy: str = "community"
    placement: Literal["random", "hub", "median"] = "median"
    #: contacts the seller starts with; tops up the graph neighbourhood with weak acquaintances
    #: (seed 001 L82: ~77 fans per micro-store)
    circle_size: Annotated[int, Field(ge=0, le=100_000)] = 80
    product: Product = Product()
    # Optional overrides: any field of Strategy; None means "take the preset's value".
    posts_per_day: PostsPerDay | None = None
    content: ContentMix | None = None
    posting_slot: Literal["busy", "idle", "mixed"] | None = None
    strangers_per_day: Annotated[float, Field(ge=0.0, le=10_000.0)] | None = None
    messages_per_day: Annotated[float, Field(ge=0.0, le=10_000.0)] | None = None
    contact: Literal["push", "need"] | None = None
    service_capacity: Annotated[float, Field(ge=0.0, le=1e6)] | None = None
    groups: GroupParams | None = None
    referral_reward: Annotated[float, Field(ge=0.0, le=0.9)] | None = None
    reseller_prob: Prob | None = None
    reseller_posts_per_day: PostsPerDay | None = None
    reseller_commission: Prob | None = None
    kol_seeds: Annotated[int, Field(ge=0, le=100_000)] | None = None
    kol_reach: Prob | None = None
    cost_per_post: Money | None = None
    cost_per_message: Money | None = None
    cost_per_stranger: Money | None = None
    cost_per_reply: Money | None = None
    cost_per_kol: Money | None = None
    cost_group_per_day: Money | None = None

    def overrides(self) -> dict:
        """Strategy fields set explicitly in this spec (not None)."""
        return {k: getattr(self, k) for k in STRATEGY_FIELDS if getattr(self, k) is not None}


class RunConfig(Frozen):
    """A complete, validated run: network, behaviour, platform, sellers, horizon and seed."""

    name: str = "run"
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 180
    network: NetworkSpec = FriendCirclesNet()
    feed: FeedParams = FeedParams()
    trust: TrustParams = TrustParams()
    annoyance: AnnoyanceParams = AnnoyanceParams()
    ties: TieParams = TieParams()
    purchase: PurchaseParams = PurchaseParams()
    wom: WomParams = WomParams()
    platform: PlatformParams = PlatformParams()
    #: (each seller adds state arrays the size of the population)
    sellers: Annotated[dict[str, SellerSpec], Field(min_length=1, max_length=1000)] = {"seller": SellerSpec()}
    #: record per-consumer cascade edges (who converted whom)
    trace_cascades: bool = True
    #: ``fast``: the vectorised engine; ``reference``: one Mesa agent per consumer (slow, readable;
    #: for verification and teaching, up to a few thousand consumers)
    engine: Literal["fast", "reference"] = "fast"

    @field_validator("sellers")
    @classmethod
    def _room_for_sellers(cls, value: dict, info: ValidationInfo) -> dict:
        # Sellers are people of the network; at least one consumer must remain.
        n = network_size(info.data["network"]) if _known(info, "network") else None
        if n is not None and len(value) >= n:
            raise ValueError(too_many_sellers(len(value), n, "the network"))
        return value


def too_many_sellers(sellers: int, n: int, network: str) -> str:
    """The refusal of ``sellers`` sellers in a ``network`` of ``n`` people (sellers are people
    of the network, and at least one consumer must remain)."""
    return f"{sellers} sellers need a network of more than {sellers} people; {network} has {n}"


def network_size(spec: Any) -> int | None:
    """People in a generated network, None for an edge list (known once the file is read)."""
    if isinstance(spec, StochasticBlockNet):
        return sum(spec.sizes)
    return getattr(spec, "n", None)
