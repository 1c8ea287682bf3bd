"""Names of everything a day reports, declared once: flows, breakdowns, channels, stocks.

The compiled day writes into arrays laid out by these tuples (``FLOW``, ``BREAKDOWN`` and
``STOCK`` give the positions); metrics, the Mesa shell, the reference engine and the docs read
the names from here.
"""

from __future__ import annotations

from collections import namedtuple

#: per-seller flows of a day, rows of the (len(FLOW_KEYS), S) flow table
FLOW_KEYS = (
    "posts", "posts_folded", "exposures_ad", "exposures_value", "exposures_life", "exposures_prize",
    "exposures_reseller", "messages_sent", "reach", "purchases", "purchases_wom", "revenue", "cost",
    "wom_positive", "wom_negative", "enquiries", "replies", "strangers_added", "new_followers",
    "ties_strengthened", "ties_weakened",
    "ties_broken", "groups_opened", "groups_filled", "groups_failed", "commission", "loaded_resellers",
    "forwards", "forwards_read",
)
#: row of each flow: ``FLOW.purchases`` is the purchases row (a namedtuple of ints: compiled code
#: reads it as constants)
FLOW = namedtuple("Flow", FLOW_KEYS)(*range(len(FLOW_KEYS)))

#: purchase channels, the order of the stimulus components (rules.purchase)
CHANNELS = ("ad", "prize", "value", "message", "reply", "group", "referral", "conformity", "reseller", "forward",
            "face", "group_buy")
#: stimulus components: every channel but the last, ``group_buy``, whose purchases come from a filled
#: group-buy (rules.groupbuy), not from the day's purchase decision
N_STIMULI = len(CHANNELS) - 1
CHANNEL = namedtuple("Channel", CHANNELS)(*range(len(CHANNELS)))

#: per-seller breakdowns: name and width; they sit side by side in one (S, total width) block
BREAKDOWNS = (
    ("channels", len(CHANNELS)),             # purchases by channel
    ("exposures_by_tie", 4),                 # posts seen by the viewer's tie (none..strong)
    ("seller_conversions_by_tie", 4),        # purchases the seller made herself, by buyer tie
    ("wom_sent_by_tie", 2),                  # recommendations sent over (weak, strong) ties
    ("wom_conversions_by_tie", 2),           # referral purchases by recommender tie (weak, strong)
    ("new_followers_by_channel", 3),         # consumers who followed after (a purchase, a recommendation,
                                             #   joining a group): rules.follow
    ("ties_broken_by_tie", 4),               # contacts who blocked the seller after a bad purchase, by the tie
                                             #   they had (none..strong; none stays 0): rules.settle
)
#: first column of each breakdown in the block: ``BREAKDOWN.channels`` is 0
_starts = [0]
for _name, _width in BREAKDOWNS:
    _starts.append(_starts[-1] + _width)
BREAKDOWN = namedtuple("Breakdown", [b[0] for b in BREAKDOWNS])(*_starts[:-1])
BREAKDOWN_WIDTH = _starts[-1]

#: the end-of-day stocks of every seller, read off the relations, and her brand (rules.bigv; 1 but
#: for big-V sellers)
STOCK_COLUMNS = ("aware", "interested", "customers", "repeat_customers", "mean_trust", "mean_annoyance",
                 "followers", "contacts", "muted", "blocked", "group_members", "resellers", "strong_ties",
                 "weak_ties", "reseller_stock", "reseller_depth", "brand")
STOCK = namedtuple("Stock", STOCK_COLUMNS)(*range(len(STOCK_COLUMNS)))

#: per-day market-wide values
MARKET_COLUMNS = (
    "platform_activity",  # mean platform activity of consumers in [0, 1]
    "commercial_share",   # mean commercial share of consumers' feeds
    "with_need",          # consumers with an unmet need
    "purchases",          # all purchases today
)
