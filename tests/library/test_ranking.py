"""Search ranking without FTS5's count of every match: the same order as FTS5's ``rank``."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from stoat_ferret.library import queries, ranking
from stoat_ferret.library.queries import Term, VideoFilters
from stoat_ferret.library.store import Library, open_library

from .test_readers import probed

#: Words of the generated names: common and rare, cases, digits, prefixes of each other,
#: and words the ranking leaves to FTS5 (accents, a ligature, a German sharp s).
PLAIN = [
    "beach", "Beach", "BEACH", "beaches", "bea", "holiday", "2019", "2020", "20190612",
    "clip", "clips", "A004C128", "interview", "take", "take2", "retake", "zanzibar", "x", "q7",
]  # fmt: skip
FOLDED = ["Béach", "straße", "ﬁlm", "café"]
VOCABULARY = PLAIN + FOLDED


def word(rng: random.Random) -> str:
    """A word of a name: now and then one the tokenizer folds beyond case."""
    return rng.choice(FOLDED) if rng.random() < 0.03 else rng.choice(PLAIN)


SEPARATORS = ["_", " ", "-", ".", "/"]
VIDEOS = 1500


def generated_paths(seed: int) -> list[str]:
    """Paths of one to six words each, in folders of a word or two."""
    rng = random.Random(seed)
    paths = set()
    while len(paths) < VIDEOS:
        folder = "/".join(word(rng) for _ in range(rng.randint(1, 2)))
        name = rng.choice(SEPARATORS[:4]).join(word(rng) for _ in range(rng.randint(1, 6)))
        paths.add(f"/media/{folder}/{name}.{rng.choice(['mp4', 'mov', 'MTS'])}")
    return sorted(paths)


def queries_to_try(seed: int) -> list[str]:
    """Every word, its first three letters, and random searches of two and three words."""
    rng = random.Random(seed)
    texts = list(VOCABULARY) + [word[:3] for word in VOCABULARY if len(word) > 3]
    texts += [" ".join(rng.sample(PLAIN, k)) for k in (2, 3) for _ in range(60)]
    texts += ["beach beach", "Beach 2019", "holiday_beach", "clip take", "retake take", "mp4"]
    return texts


@pytest.fixture
async def library(tmp_path: Path) -> AsyncIterator[Library]:
    async with open_library(tmp_path / "library.db", readers=2) as lib:
        # And a name of more than 127 words: its size takes two bytes in FTS5's record.
        long_name = "_".join(["take", "clip"] * 70)
        paths = [*generated_paths(7), "/media/zzspecial/Béach_2019.mp4", f"/media/{long_name}.mp4"]
        await lib.save_probed([probed(path) for path in paths])
        # So few videos match few enough for FTS5 to rank every search: rank them here.
        lib._phrase_counts.worth_ranking_here = 0
        yield lib


def fts5_order(conn: sqlite3.Connection, match: str, terms: list[Term]) -> list[int]:
    """The ranked candidates as FTS5's own ``rank`` orders them (``ORDER BY rank, path``)."""
    candidates = queries.search_candidates(match, terms, limit=queries.SEARCH_CANDIDATES)
    return [
        seq
        for (seq,) in conn.execute(
            f"SELECT c.seq FROM ({candidates.sql}) AS c JOIN videos ON videos.seq = c.seq "
            "ORDER BY c.rank, videos.path",
            candidates.params,
        )
    ]


def both_orders(
    conn: sqlite3.Connection, text: str, terms: list[Term], counts: ranking.PhraseCounts
) -> tuple[list[int] | None, list[int]]:
    match = queries.fts_query(text)
    assert match is not None
    conn.execute("BEGIN")
    try:
        ours = ranking.ranked_seqs(conn, match, queries.search_words(text), terms, counts)
        return ours, fts5_order(conn, match, terms)
    finally:
        conn.execute("ROLLBACK")


async def test_the_ranking_is_fts5s_rank_for_every_search_it_takes(library: Library) -> None:
    """For every word, prefix and combination of the generated names, with and without a
    filter, the order is FTS5's; searches with a word the tokenizer would fold beyond case
    (accents, ligatures, ``_``) are left to FTS5 (None)."""
    counts = ranking.PhraseCounts(worth_ranking_here=0)
    filtered = queries.filter_terms(VideoFilters(folder="/media/beach"))

    def compare(conn: sqlite3.Connection) -> tuple[int, int, list[str]]:
        ranked = left = 0
        wrong = []
        for text in queries_to_try(11):
            for terms in ([], filtered):
                ours, theirs = both_orders(conn, text, terms, counts)
                if ours is None:
                    left += 1
                elif ours != theirs:
                    wrong.append(text)
                else:
                    ranked += len(ours) > 0
        return ranked, left, wrong

    ranked, left, wrong = await library._read(compare)
    assert wrong == []
    assert ranked > 150, "too few searches were ranked here to judge"
    assert left > 10, "searches with folded words should be left to FTS5"


async def test_which_searches_are_ranked_here_and_which_by_fts5(library: Library) -> None:
    """One word of any letters is ranked here (each mark is its match); several words only
    when they, and the words they matched, are plain ASCII."""
    counts = ranking.PhraseCounts(worth_ranking_here=0)
    texts = ["holiday", "Clip 2019", "beach", "béach", "caf", "holiday_beach"]
    texts += ["café beach", "zzspecial beach", "zzspecial 2019"]

    def orders(conn: sqlite3.Connection) -> dict[str, list[int] | None]:
        found = {}
        for text in texts:
            ours, theirs = both_orders(conn, text, [], counts)
            assert ours is None or ours == theirs
            found[text] = ours
        return found

    found = await library._read(orders)
    # "beach" matches "Béach" (accents are folded), "caf" "café": one word, ranked here.
    for text in ("holiday", "Clip 2019", "beach", "béach", "caf", "zzspecial 2019"):
        assert found[text], text
    # A phrase of two tokens; two words, one not ASCII; two ASCII words, one matching "Béach".
    for text in ("holiday_beach", "café beach", "zzspecial beach"):
        assert found[text] is None, text


async def test_a_name_holding_the_marks_itself_is_left_to_fts5(library: Library) -> None:
    """A file name may hold the very characters ``highlight()`` marks matches with: counted
    as marks, they would add matches the row has not. A search among whose candidates
    such a name is goes to FTS5, in one folder or in several; the rest are still ranked
    here."""
    counts = ranking.PhraseCounts(worth_ranking_here=0)
    odd = [
        f"/media/zzmarks/holiday{queries.MATCH_OPEN}holiday.mp4",
        f"/media/zzmarks/{queries.MATCH_OPEN}holiday{queries.MATCH_CLOSE} take2.mp4",
        f"/media/zz{queries.MATCH_CLOSE}marks/holiday_take2.mp4",
    ]
    await library.save_probed([probed(path) for path in odd])

    def orders(conn: sqlite3.Connection) -> dict[str, list[int] | None]:
        found = {}
        for text in ("holiday", "holiday take2", "take2 holiday", "zzmarks", "interview"):
            ours, theirs = both_orders(conn, text, [], counts)
            assert ours is None or ours == theirs, text
            found[text] = ours
        return found

    found = await library._read(orders)
    for text in ("holiday", "holiday take2", "take2 holiday", "zzmarks"):
        assert found[text] is None, text
    assert found["interview"]


async def test_each_rank_is_fts5s_to_the_bit(library: Library) -> None:
    """Not only the order: each candidate's score equals FTS5's ``rank`` for the row."""
    counts = ranking.PhraseCounts(worth_ranking_here=0)

    def compare(conn: sqlite3.Connection) -> int:
        compared = 0
        for text in ("holiday", "Clip 2019", "take clip", "beach", "x q7 2020"):
            match = queries.fts_query(text)
            assert match is not None
            candidates = queries.search_candidates(match, [], limit=queries.SEARCH_CANDIDATES)
            theirs = dict(conn.execute(candidates.sql, candidates.params).fetchall())
            ours = ranking.candidate_scores(conn, match, queries.search_words(text), [], counts)
            assert ours is not None, text
            assert {seq: rank for rank, _, seq in ours} == theirs, text
            compared += len(ours)
        return compared

    assert await library._read(compare) > 500


async def test_a_word_is_counted_once_until_the_index_changes(library: Library) -> None:
    """The count a rank needs is kept while the full-text index is unchanged; a new video
    changes it, and the ranking, still FTS5's order, uses the new count."""
    counts = ranking.PhraseCounts(worth_ranking_here=0)

    def order(conn: sqlite3.Connection) -> tuple[list[int] | None, list[int]]:
        return both_orders(conn, "holiday", [], counts)

    first = await library._read(order)
    assert first[0] == first[1]
    assert counts.made == 1
    assert await library._read(order) == first
    assert counts.made == 1
    await library.save_probed([probed(f"/media/new/holiday_{i}.mp4") for i in range(30)])
    ours, theirs = await library._read(order)
    assert counts.made == 2
    assert ours == theirs != first[1]


async def test_the_library_pages_through_ranked_and_newest_matches_as_fts5_would(
    library: Library,
) -> None:
    """Pages of a search that straddle the 200 ranked candidates: the ranked part in
    FTS5's order, then the rest newest first, no video twice and none left out."""
    text = "holiday"
    match = queries.fts_query(text)
    assert match is not None

    def expected(conn: sqlite3.Connection) -> list[str]:
        ranked = fts5_order(conn, match, [])
        rest = [
            seq
            for (seq,) in conn.execute(
                "SELECT rowid FROM videos_fts WHERE videos_fts MATCH ? ORDER BY rowid DESC",
                (match,),
            )
        ][queries.SEARCH_CANDIDATES :]
        paths = dict(conn.execute("SELECT seq, path FROM videos").fetchall())
        return [paths[seq] for seq in ranked + rest]

    want = await library._read(expected)
    assert len(want) > queries.SEARCH_CANDIDATES + 30
    got: list[str] = []
    for offset in range(0, len(want), 45):
        page = await library.search_videos(text, limit=45, offset=offset)
        got += [video.path for video in page.videos]
    assert got == want


async def test_words_with_few_matches_are_left_to_fts5(library: Library) -> None:
    """Below the threshold of matches FTS5 ranks the search (its count is then cheaper); the
    library's answer is the same either way."""

    def orders(conn: sqlite3.Connection, threshold: int) -> tuple[list[int] | None, list[int]]:
        return both_orders(
            conn, "Clip 2019", [], ranking.PhraseCounts(worth_ranking_here=threshold)
        )

    ours, theirs = await library._read(partial(orders, threshold=0))
    assert ours == theirs
    assert ours
    ours, _ = await library._read(partial(orders, threshold=10**9))
    assert ours is None
    library._phrase_counts.worth_ranking_here = 10**9
    by_fts5 = [v.path for v in (await library.search_videos("Clip 2019", limit=100)).videos]
    library._phrase_counts.worth_ranking_here = 0
    ranked_here = [v.path for v in (await library.search_videos("Clip 2019", limit=100)).videos]
    assert ranked_here == by_fts5
    assert len(by_fts5) > 50


async def test_an_empty_library_ranks_nothing(tmp_path: Path) -> None:
    """Before any video and after the last is gone, a search ranks nothing and answers."""
    async with open_library(tmp_path / "empty.db", readers=1) as lib:
        counts = ranking.PhraseCounts(worth_ranking_here=0)

        def order(conn: sqlite3.Connection) -> tuple[list[int] | None, list[int]]:
            return both_orders(conn, "holiday", [], counts)

        assert await lib._read(order) == ([], [])
        await lib.save_probed([probed("/media/holiday.mp4")])
        assert (await lib._read(order))[0]
        await lib._write(lambda conn: conn.execute("DELETE FROM videos"))
        assert await lib._read(order) == ([], [])
        lib._phrase_counts.worth_ranking_here = 0
        assert (await lib.search_videos("holiday", limit=10)).videos == []


def test_fts_varints_read_sqlites_format() -> None:
    assert ranking.fts_varints(bytes([0x00, 0x7F])) == [0, 127]
    assert ranking.fts_varints(bytes([0x81, 0x00, 0x83, 0xE8, 0x00])) == [128, 62464]
    assert ranking.fts_varints(bytes([0xFF] * 8 + [0xAB])) == [(2**56 - 1) << 8 | 0xAB]
