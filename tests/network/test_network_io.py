"""Edge-list reading/writing and the bundled SNAP ego-Facebook data."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from viralsim.network import (
    EdgeListError,
    Topology,
    facebook_path,
    friend_circles,
    load_facebook,
    read_edgelist,
    write_edgelist,
)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- Facebook


@pytest.fixture(scope="module")
def facebook():
    return load_facebook(rng=rng(0))


def test_facebook_file_is_found():
    path = facebook_path()
    assert path.is_file() and path.name == "facebook_combined.txt"


def test_facebook_counts(facebook, csr_ok):
    # McAuley & Leskovec (2012): 4,039 nodes, 88,234 edges
    assert facebook.n == 4039
    assert facebook.n_edges == 88234
    assert facebook.labels.tolist() == list(range(4039))
    assert facebook.strong_share == pytest.approx(0.7, abs=1e-4)
    csr_ok(facebook)


def test_facebook_is_reproducible(facebook):
    again = load_facebook(rng=rng(0))
    assert again.strong.tobytes() == facebook.strong.tobytes()
    other = load_facebook(rng=rng(1))
    assert other.indices.tobytes() == facebook.indices.tobytes()  # same graph


# --------------------------------------------------------------------------- parsing


def test_tabs_comments_blank_lines_and_extra_columns(tmp_path):
    path = write(
        tmp_path,
        "ok.txt",
        "# header\n10\t20\n\n   # indented comment\n20\t30\t0.5\textra\n# mid\n30 10 # note\n",
    )
    topo = read_edgelist(path, rng=rng())
    assert topo.labels.tolist() == [10, 20, 30]
    assert topo.n_edges == 3


def test_ids_are_remapped_in_sorted_label_order(tmp_path):
    path = write(tmp_path, "ids.txt", "500 7\n7 -3\n500 7\n7 500\n9 9\n")
    topo = read_edgelist(path, strength_method="random", rng=rng())
    assert topo.labels.tolist() == [-3, 7, 9, 500]
    assert topo.n_edges == 2  # duplicates merged, self loop dropped
    assert topo.neighbors(1).tolist() == [0, 3]
    assert topo.degree[2] == 0


def test_gzip_file(tmp_path):
    path = tmp_path / "edges.txt.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("# c\n1 2\n2 3\n")
    assert read_edgelist(path, rng=rng()).n_edges == 2


@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        ("# header\n1 2\n2 3\na b\n3 4\n", 4, "'a b'"),
        ("1 2\n2 3\n3\n", 3, "'3'"),
        ("1 2\n# comment\n\n2 x\n", 4, "'2 x'"),
        ("  # indented\n1 2\n1 2.5\n", 3, "'1 2.5'"),
        ("1\t2\n2\t3\n4\n", 3, "'4'"),
        ("1 2\n1 99999999999999999999\n", 2, "99999999999999999999"),
    ],
)
def test_malformed_line_is_reported_with_file_and_line(tmp_path, text, line, shown):
    path = write(tmp_path, "data.txt", text)
    with pytest.raises(EdgeListError) as err:
        read_edgelist(path, rng=rng())
    msg = str(err.value)
    assert "data.txt" in msg
    assert f"line {line}:" in msg
    assert shown in msg
    assert isinstance(err.value, ValueError)


def test_error_message_format(tmp_path):
    lines = ["1 2"] * 16 + ["a b"]
    path = write(tmp_path, "data.txt", "\n".join(lines) + "\n")
    with pytest.raises(EdgeListError) as err:
        read_edgelist(path, rng=rng())
    assert str(err.value) == f"{path} line 17: expected two integer node ids, got 'a b'"


def test_missing_and_empty_files(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(EdgeListError, match="nope.txt"):
        read_edgelist(missing, rng=rng())
    for name, text in (("empty.txt", ""), ("comments.txt", "# only\n\n# comments\n")):
        with pytest.raises(EdgeListError, match=f"{name}.*no edges"):
            read_edgelist(write(tmp_path, name, text), rng=rng())


def test_bad_arguments(tmp_path):
    path = write(tmp_path, "e.txt", "1 2\n")
    with pytest.raises(ValueError, match="strength_method"):
        read_edgelist(path, strength_method="weights", rng=rng())
    with pytest.raises(ValueError, match="rng"):
        read_edgelist(path)


# --------------------------------------------------------------------------- writing


def test_write_read_roundtrip(tmp_path):
    topo = friend_circles(500, rng=rng(3))
    path = tmp_path / "net.txt"
    write_edgelist(topo, path)
    assert path.read_text().startswith("#")
    back = read_edgelist(path, strength_method="column")
    np.testing.assert_array_equal(back.indptr, topo.indptr)
    np.testing.assert_array_equal(back.indices, topo.indices)
    np.testing.assert_array_equal(back.strong, topo.strong)


def test_write_uses_integer_labels(tmp_path):
    src = write(tmp_path, "src.txt", "100 200\n200 300\n")
    topo = read_edgelist(src, rng=rng())
    out = tmp_path / "out.txt"
    write_edgelist(topo, out)
    back = read_edgelist(out, strength_method="column")
    assert back.labels.tolist() == [100, 200, 300]
    np.testing.assert_array_equal(back.strong, topo.strong)


def test_write_rejects_string_labels(tmp_path):
    topo = Topology.from_edges(2, [0], [1], True, labels=["a", "b"])
    with pytest.raises(ValueError, match="labels"):
        write_edgelist(topo, tmp_path / "x.txt")


def test_column_mode_rejects_bad_tie_type(tmp_path):
    path = write(tmp_path, "ties.txt", "1 2 1\n2 3 7\n")
    with pytest.raises(EdgeListError, match="ties.txt line 2"):
        read_edgelist(path, strength_method="column")
