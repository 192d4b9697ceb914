"""Ranking a search's candidates by BM25 without FTS5 counting every match each time.

FTS5's ``rank`` (its ``bm25()``) needs, for each word of a search, how many videos hold it,
and FTS5 finds that by reading every match of the word, once per query, however few rows
are ranked: 2 to 4 ms of a search at a million videos. This module computes the same
score, to the last bit, from what is cheap to read:

- each candidate's matches of each word, counted from ``highlight()`` of its path (which
  marks them in the text FTS5 already reads for the row; the file name is the path's last
  part, so its matches are the marks there);
- each candidate's length in words, from FTS5's ``docsize`` record;
- the library's number of rows and total length, from FTS5's averages record;
- each word's number of matching videos, counted once and then kept until the full-text
  index next changes (:class:`PhraseCounts`).

A search of one word (letters and digits of any script) counts each row's marks as they
are: every mark is a match of that word. A search of several words must tell whose match
each mark is, so it takes only words, and matched words, of plain ASCII letters and digits
(where the tokenizer folds nothing but case). Words that match fewer than
:data:`WORTH_RANKING_HERE` videos in all are cheaper for FTS5 to count than the candidates
are to rank here. For any of those searches :func:`ranked_seqs` answers None and the caller
ranks with FTS5's own ``rank``. ``tests/library/test_ranking.py`` holds the two to the same
order.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from collections.abc import Sequence

from . import queries
from .queries import Term

#: FTS5's BM25 parameters (fts5_aux.c): term-frequency saturation and length normalisation.
K1 = 1.2
B = 0.75
#: FTS5's floor for a word held by half the rows or more.
IDF_FLOOR = 1e-6
#: Words whose counts are kept; the oldest half goes when it is full.
COUNTS_KEPT = 4096
#: Below this many matches of its words in all, FTS5's count costs less than ranking here
#: (about 1.7 ms of FTS5 per 100,000 matches; ranking 200 candidates here costs 0.5 ms).
WORTH_RANKING_HERE = 30_000
_OPEN, _CLOSE = queries.MATCH_OPEN, queries.MATCH_CLOSE
#: One marked match in a column's ``highlight()``.
_SPAN = re.compile(f"{_OPEN}([^{_CLOSE}]*){_CLOSE}")


def fts_varints(data: bytes) -> list[int]:
    """The unsigned varints of an FTS5 record (SQLite's format: 7 bits a byte, high bit
    set on all but the last, the ninth byte whole)."""
    values: list[int] = []
    i, end = 0, len(data)
    while i < end:
        value = 0
        for position in range(9):
            byte = data[i]
            i += 1
            if position == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


class PhraseCounts:
    """How many videos match each word (as its prefix query), kept per state of the index.

    The state is FTS5's structure and averages records: every change to the full-text index
    writes both, so a count kept under the same state is still exact. Shared by the reader
    threads (a lock guards the table; a count is made outside it).
    """

    def __init__(self, *, worth_ranking_here: int = WORTH_RANKING_HERE) -> None:
        #: Fewer matches of a search's words than this: the search is left to FTS5.
        self.worth_ranking_here = worth_ranking_here
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[bytes, int]] = {}
        #: Counts made (not found kept): for tests and figures.
        self.made = 0

    def count(self, conn: sqlite3.Connection, phrase: str, state: bytes) -> int:
        with self._lock:
            kept = self._counts.get(phrase)
        if kept is not None and kept[0] == state:
            return kept[1]
        query = queries.phrase_count(phrase)
        (found,) = conn.execute(query.sql, query.params).fetchone()
        with self._lock:
            self.made += 1
            if len(self._counts) >= COUNTS_KEPT:
                for stale in list(self._counts)[: COUNTS_KEPT // 2]:
                    del self._counts[stale]
            self._counts[phrase] = (state, int(found))
        return int(found)


def rankable(words: Sequence[str]) -> bool:
    """Whether a search for ``words`` can be ranked here: one word of letters and digits
    (a phrase of one token), or several of ASCII letters and digits."""
    if len(words) == 1:
        return words[0].isalnum()
    return bool(words) and all(word.isascii() and word.isalnum() for word in words)


def ranked_seqs(
    conn: sqlite3.Connection,
    match: str,
    words: Sequence[str],
    terms: Sequence[Term],
    counts: PhraseCounts,
) -> list[int] | None:
    """The ``seq`` of the :data:`~.queries.SEARCH_CANDIDATES` newest matches, best first
    (by BM25, then by path), as ``ORDER BY rank, path`` gives them; None when the search
    is one this module leaves to FTS5 (see the module's note).

    Run it inside a read transaction, so the candidates, sizes and counts agree.
    """
    scored = candidate_scores(conn, match, words, terms, counts)
    if scored is None:
        return None
    return [seq for _, _, seq in sorted(scored)]


def candidate_scores(
    conn: sqlite3.Connection,
    match: str,
    words: Sequence[str],
    terms: Sequence[Term],
    counts: PhraseCounts,
) -> list[tuple[float, str, int]] | None:
    """``(rank, path, seq)`` of each of :func:`ranked_seqs`' candidates, newest first; each
    rank is the value of FTS5's ``rank`` for the row. None for a search this module does not
    rank, or whose words match too few videos for it to be worth it (FTS5 counts them
    faster than the candidates are ranked here)."""
    if not rankable(words):
        return None
    state_query = queries.fts_state()
    records = dict(conn.execute(state_query.sql, state_query.params).fetchall())
    structure = records.get(queries.FTS_STRUCTURE_ID)
    averages_record = records.get(queries.FTS_AVERAGES_ID)
    if structure is None or averages_record is None:
        return None
    averages = fts_varints(averages_record)
    if not averages or averages[0] == 0:
        return []  # an index that holds no video: nothing matches
    state = bytes(structure) + bytes(averages_record)
    matching = [counts.count(conn, f'"{word}"*', state) for word in words]
    if sum(matching) < counts.worth_ranking_here:
        return None
    found = queries.search_marked(match, terms, limit=queries.SEARCH_CANDIDATES)
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: 200 rows, unpacked at once
    rows = cursor.execute(found.sql, found.params).fetchall()
    if not rows:
        return []
    idf = [_idf(averages[0], n) for n in matching]
    folded = [word.lower() for word in words]
    average_length = float(sum(averages[1:])) / float(averages[0])
    scored = []
    for seq, marked, path, size in rows:
        score = _score(folded, idf, marked, path, size, average_length)
        if score is None:
            return None
        scored.append((score, path, seq))
    return scored


def _idf(rows: int, matching: int) -> float:
    idf = math.log((rows - matching + 0.5) / (matching + 0.5))
    return idf if idf > 0.0 else IDF_FLOOR


def _score(
    words: Sequence[str],
    idf: Sequence[float],
    marked: str,
    path: str,
    size: bytes,
    average_length: float,
) -> float | None:
    """A row's ``rank`` (negated BM25), computed as fts5_aux.c does, operation for operation.

    ``marked`` is the path with its matches marked; a match after its last ``/`` is in the
    file name too, so it counts twice: once in each column.
    """
    if _OPEN in path or _CLOSE in path:
        return None  # a mark of the path's own (or the name's: it ends the path) would count
    name_at = marked.rfind("/") + 1
    if len(words) == 1:
        frequency = [float(marked.count(_OPEN) + marked.count(_OPEN, name_at))]
    elif marked.isascii():
        # In ASCII text every token is a run of letters and digits, and each word's phrase
        # is one token, so each mark opens one token: a match of each word it begins with.
        folded = marked.lower()
        frequency = [
            float(folded.count(_OPEN + word) + folded.count(_OPEN + word, name_at))
            for word in words
        ]
    else:
        spans = _SPAN.findall(marked) + _SPAN.findall(marked, name_at)
        every = "".join(spans)
        if not (every.isascii() and every.isalnum()):
            return None  # a match the tokenizer folded beyond case, or of several tokens
        frequency = [0.0] * len(words)
        for span in spans:
            span = span.lower()
            for i, word in enumerate(words):
                if span.startswith(word):
                    frequency[i] += 1.0
    # Each column's size is a varint, one byte below 128 words.
    length = float(sum(size) if size.isascii() else sum(fts_varints(size)))
    score = 0.0
    for i, f in enumerate(frequency):
        score += idf[i] * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + B * length / average_length)))
    return -1.0 * score
