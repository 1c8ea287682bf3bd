"""The relation table's hash index (one-word and two-word slots), its views and its reseller-tree side table."""

import numpy as np
import pytest

from viralsim.model import relations


def _fill(rel, pairs):
    """Add ``pairs`` (seller, node) one by one, growing the table as the model does; returns
    (table, rows)."""
    rows = []
    for s, v in pairs:
        rel = relations.reserve(rel, 1)
        rows.append(int(relations.add(rel, s, v)))
    return rel, rows


@pytest.mark.parametrize("n, n_sellers, row_bits, shift, shift_at_end", [
    (1_000, 50, 32, 32, 32),            # keys below 2^31: key << 32 | row
    (50_000, 50_000, 32, 31, 31),       # keys of 32 bits: key << 31 | row
    (1_000, 50, 8, 8, 0),               # one-word slots for 256 rows, then two-word ones
    (1_000, 50, 0, 0, 0),               # two-word slots throughout
])
def test_the_index_finds_every_relation_through_growth(n, n_sellers, row_bits, shift, shift_at_end):
    """Every slot layout: 3,000 draws of pairs, a third of them repeats, into a table of 16 rows
    that grows a dozen times (the third case changes layout on the way, as a huge market does
    when its rows outgrow the bits beside its keys). Each new pair gets the next row, a repeat
    its old row, every pair is found at its row after the growth, and 500 pairs never added are
    not found."""
    rng = np.random.default_rng(5)
    rel = relations.empty(n, n_sellers, 16, 0.1, row_bits=row_bits)
    assert rel.meta[3] == shift
    pairs = [(int(rng.integers(n_sellers)), int(rng.integers(n))) for _ in range(2_000)]
    pairs += [pairs[j] for j in rng.integers(0, 2_000, 1_000).tolist()]
    rel, rows = _fill(rel, pairs)
    assert rel.meta[3] == shift_at_end
    first = {}
    for p in pairs:
        first.setdefault(p, len(first))
    assert rows == [first[p] for p in pairs]
    assert relations.size(rel) == len(first) and rel.seller.shape[0] > 16
    for (s, v), r in first.items():
        assert relations.find(rel, s, v) == r
        assert rel.seller[r] == s and rel.node[r] == v
    absent = [(int(rng.integers(n_sellers)), int(rng.integers(n))) for _ in range(500)]
    for s, v in absent:
        if (s, v) not in first:
            assert relations.find(rel, s, v) == -1


def test_one_word_slots_hold_the_largest_key_and_row():
    """The packed layout's bit budget: 10,000 sellers among a million people (keys of 34 bits)
    leave 29 bits for rows; a key or row one bit wider would not fit, so the layout falls back
    to two-word slots rather than let a slot's key and row overlap."""
    assert relations.packed_shift(2**31, 1_000) == 32
    assert relations.packed_shift(2**31 + 1, 1_000) == 31
    assert relations.packed_shift(10_000 * 1_000_000, 2**29) == 29
    assert relations.packed_shift(10_000 * 1_000_000, 2**29 + 1) == 0
    assert relations.packed_shift(2**62, 2) == 1 and relations.packed_shift(2**62, 3) == 0
    assert relations.packed_shift(2**63 - 1, 1) == 0
    shift = relations.packed_shift(10_000 * 1_000_000, 2**29)
    key, row = 10_000 * 1_000_000 - 1, 2**29 - 1
    word = (key << shift) | row
    assert 0 < word < 2**63 and word >> shift == key and word & (2**shift - 1) == row


def test_both_index_layouts_give_the_same_rows():
    """The slot layout changes memory, not rows: the same pairs in the same order get the same
    rows in a table of one-word slots and one of two-word slots."""
    rng = np.random.default_rng(9)
    pairs = [(int(rng.integers(40)), int(rng.integers(900))) for _ in range(1_500)]
    wide, a = _fill(relations.empty(1_000, 40, 16, 0.1, row_bits=0), pairs)
    packed, b = _fill(relations.empty(1_000, 40, 16, 0.1), pairs)
    assert wide.meta[3] == 0 and packed.meta[3] == 32
    assert a == b and len(set(a)) > 1_000


def _walk(rel, i):
    """Consumer ``i``'s rows as her segment of the by-consumer view gives them."""
    start, count, room = (int(x) for x in rel.node_seg[:, i])
    assert count <= room
    return rel.node_pool[start:start + count].tolist()


def test_the_views_follow_the_table_as_it_grows_day_by_day():
    """The by-seller and by-consumer views, extended each "day" (a batch of new relations,
    some days none) while the table grows, give each seller's and each consumer's rows in the
    order they were made, exactly the rows a full rebuild gives. Mutant: a by-consumer view
    that drops the rows made before the last extension, a segment moved without its rows, or
    overlapping segments fail. Many days and few consumers, each of whom meets one more seller
    every other day, make segments fill and move, and both pools compact."""
    rng = np.random.default_rng(3)
    n, n_sellers = 150, 60
    rel = relations.empty(n, n_sellers, 16, 0.1)
    compactions, holes, seller_compactions, seller_holes = 0, 0, 0, 0
    for day in range(60):
        k = 0 if day % 7 == 3 else int(rng.integers(1, 250))
        pairs = [(int(rng.integers(n_sellers)), int(rng.integers(n))) for _ in range(k)]
        if day % 2 == 0:
            pairs += [((i + day) % n_sellers, i) for i in range(n)]
        rel, _ = _fill(rel, pairs)
        rel = relations.with_views(rel)
        m = relations.size(rel)
        seller, node = rel.seller[:m], rel.node[:m]
        for s in range(n_sellers):
            start, count = rel.seller_seg[0, s], rel.seller_seg[1, s]
            got = rel.seller_pool[start:start + count].tolist()
            assert got == np.flatnonzero(seller == s).tolist()
        for i in range(n):
            rows = np.flatnonzero(node == i).tolist()
            assert _walk(rel, i) == rows
        # segments never overlap: every pool entry in use belongs to at most one consumer (seller)
        for seg, at in ((rel.node_seg, 5), (rel.seller_seg, 6)):
            starts, rooms = seg[0], seg[2]
            order = np.argsort(starts[rooms > 0], kind="stable")
            ends = (starts + rooms)[rooms > 0][order]
            assert np.all(starts[rooms > 0][order][1:] >= ends[:-1]) and ends.max(initial=0) <= rel.meta[at]
        # (a compacted pool has no holes: its entries in use are the segments' rooms)
        was, holes = holes, int(rel.meta[5] - rel.node_seg[2].sum())
        seller_was, seller_holes = seller_holes, int(rel.meta[6] - rel.seller_seg[2].sum())
        compactions += int(was > 0 and holes == 0)
        seller_compactions += int(seller_was > 0 and seller_holes == 0)
    assert compactions >= 1 and seller_compactions >= 1
    assert relations.size(rel) > 5_000 and rel.seller.shape[0] > 16
    # a table whose views were never built gets them in one go: the same lists
    fresh = relations.empty(n, n_sellers, 16, 0.1)
    fresh, _ = _fill(fresh, [(int(s), int(i)) for s, i in zip(rel.seller[:m], rel.node[:m])])
    fresh = relations.with_views(fresh)
    assert [_walk(fresh, i) for i in range(n)] == [_walk(rel, i) for i in range(n)]


def _grow_every_key(view, n_keys: int, calls: int) -> int:
    """Append a row to each of ``n_keys`` keys in each of ``calls`` calls of ``view`` (a
    segment_view); checks every key's rows and returns the calls that reallocated the pool."""
    seg, pool, used = np.zeros((3, n_keys), np.int64), np.zeros(0, np.int32), 0
    keys = np.tile(np.arange(n_keys, dtype=np.int32), calls)
    reallocated, rebuilt, holes = 0, 0, 0
    for t in range(calls):
        before = pool
        pool, used = view(keys, seg, pool, used, t * n_keys, (t + 1) * n_keys)
        reallocated += int(pool is not before)
        was, holes = holes, int(used - seg[2].sum())
        rebuilt += int(was > 0 and holes == 0)
    for k in range(n_keys):
        assert pool[seg[0, k]:seg[0, k] + seg[1, k]].tolist() == np.flatnonzero(keys == k).tolist()
    assert rebuilt >= 1
    return reallocated


def test_a_pool_whose_every_key_gains_rows_each_day_is_not_rebuilt_each_day():
    """relations.segment_view, the pool of both views, when 40 keys each gain a row in each of 300
    calls (a market's sellers make relations every day): every key keeps its rows in order, the
    pool is rebuilt at least once, and it is reallocated (grown or rebuilt) in at most 30 of the
    calls (11 as it is: the pool grows geometrically). Mutant: rebuilt with no spare room, every
    key's next row moves its segment and the moves pass the bound of 2 x rows + 1,024 again: the
    pool is copied whole in 271 of the 300 calls (in the 1,000-seller market, the by-seller
    view's step went from 14 to 47 ms a day)."""
    import inspect

    from source_mutants import _mutated

    assert _grow_every_key(relations.segment_view, 40, 300) <= 30
    src = inspect.getsource(relations.segment_view.py_func)
    last = "seg[2, k] = c + (c + 1) // 2"
    old = src[src.index("    if used > 2 * m + 1024:"):src.index(last) + len(last)]
    mutant = _mutated(relations.segment_view, old, old.replace("c + (c + 1) // 2", "c"))
    assert _grow_every_key(mutant, 40, 300) > 250


def test_the_reseller_tree_side_table_holds_entries_of_recruited_rows_only():
    """Entries are made for the rows given, found again after the side table grows (from 0 to
    300 entries), keep their values, and every other row reads the columns' defaults (upline
    -1, level 0, stock 0, stock day -1), by entry lookup, by row and as a dense matrix."""
    rel, _ = _fill(relations.empty(500, 3, 16, 0.1), [(s, v) for s in range(3) for v in range(400)])
    assert rel.tree_row.shape[0] == 0 and relations.tree_entry(rel, 5) == -1
    recruited = list(range(0, 1_200, 4))
    for k, r in enumerate(recruited):
        rel = relations.reserve_tree(rel, 1)
        e = relations.add_tree_entry(rel, r)
        assert e == k and relations.add_tree_entry(rel, r) == e
        rel.tree_stock[e] = k % 7
        rel.tree_level[e] = 1 + k % 3
        rel.tree_upline[e] = k
        rel.tree_stock_day[e] = 10 + k
    assert rel.meta[4] == len(recruited) and rel.tree_row.shape[0] >= len(recruited)
    for k, r in enumerate(recruited):
        e = relations.tree_entry(rel, r)
        assert e == k and relations.tree_stock(rel, r) == k % 7 and rel.tree_stock_day[e] == 10 + k
    others = [r for r in range(1_200) if r % 4]
    assert all(relations.tree_entry(rel, r) == -1 and relations.tree_stock(rel, r) == 0 for r in others)
    for name, default in (("upline", -1), ("level", 0), ("stock", 0), ("stock_day", -1)):
        col = relations.tree_column(rel, name)
        assert col.shape[0] == 1_200 and (col[others] == default).all()
    assert relations.tree_column(rel, "level")[recruited].tolist() == [1 + k % 3 for k in range(len(recruited))]
    stock = relations.dense(rel, "stock", 3)
    assert stock.shape == (3, 500) and stock[0, 0] == 0 and stock[0, 4] == 1 and stock[:, 400:].sum() == 0


def test_a_full_side_table_raises_instead_of_writing_past_its_end():
    rel, _ = _fill(relations.empty(100, 1, 16, 0.1), [(0, v) for v in range(20)])
    with pytest.raises(ValueError, match="reseller-tree"):
        relations.add_tree_entry(rel, 3)


@pytest.mark.parametrize("row_bits, shift_at_end", [(32, 32), (8, 0)])
def test_growing_between_calls_keeps_every_row_and_finds_it(row_bits, shift_at_end):
    """make_room, the growth between compiled calls, against reserve, the growth inside them:
    pairs added in batches into one table grown only by reserve and into one that make_room
    grows before each batch give the same rows, every column's rows in use the same values
    (random values written into each column after each batch), the new-relation values in the
    rows still free, and an index that finds every pair; with room for 256 rows beside a key
    the layout changes to two-word slots on the way. The old table is released: nothing keeps
    its columns alive once the new one is made (the point of growing there: a peak of one table,
    not two and a half). Mutants: a growth that copies a row too few, fills the free rows with
    zeros (a trust of 0 instead of the prior, a seller 0 instead of -1), keeps the index it had
    or keeps a reference to the old table fail."""
    import weakref

    rng = np.random.default_rng(11)
    n, n_sellers, prior = 1_000, 50, 0.2
    by_reserve = relations.empty(n, n_sellers, 16, prior, row_bits=row_bits)
    by_room = relations.empty(n, n_sellers, 16, prior, row_bits=row_bits)
    grown = 0
    for batch in range(12):
        pairs = [(int(rng.integers(n_sellers)), int(rng.integers(n))) for _ in range(int(rng.integers(20, 120)))]
        used = relations.size(by_room)
        if used + len(pairs) > relations.capacity(by_room):
            old = [weakref.ref(a) for a in by_room[:len(relations.STATE_COLUMNS) + len(relations.DAY_COLUMNS)]]
            box = [by_room]
            del by_room
            by_room = relations.make_room(box, len(pairs) + batch)
            assert box == [] and all(r() is None for r in old)
            grown += 1
            assert relations.capacity(by_room) == used + len(pairs) + batch
            m = relations.size(by_room)
            for name, _dt, value in relations.STATE_COLUMNS:
                assert np.all(getattr(by_room, name)[m:] == (prior if value is None else value)), name
            for name, _dt in relations.DAY_COLUMNS:
                assert np.all(getattr(by_room, name)[m:] == 0), name
        by_reserve, rows_a = _fill(by_reserve, pairs)
        rows_b = [int(relations.add(by_room, s, v)) for s, v in pairs]      # (no reserve: make_room made the room)
        assert rows_a == rows_b
        m = relations.size(by_room)
        assert relations.size(by_reserve) == m
        for name, dt, _value in relations.STATE_COLUMNS[2:] + tuple((c, d, 0) for c, d in relations.DAY_COLUMNS):
            values = rng.integers(0, 2, m) if dt is np.bool_ else rng.integers(0, 100, m)
            getattr(by_reserve, name)[:m] = values
            getattr(by_room, name)[:m] = values
    assert grown >= 3 and by_room.meta[3] == shift_at_end
    m = relations.size(by_room)
    for name in by_room._fields[:len(relations.STATE_COLUMNS) + len(relations.DAY_COLUMNS)]:
        assert np.array_equal(getattr(by_room, name)[:m], getattr(by_reserve, name)[:m]), name
    for r in range(m):
        assert relations.find(by_room, by_room.seller[r], by_room.node[r]) == r
