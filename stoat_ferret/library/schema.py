"""The library's schema, as forward migrations keyed by ``PRAGMA user_version``.

A migration is never edited once released; a change to the schema is a new
entry appended to :data:`MIGRATIONS`.
"""

from __future__ import annotations

import sqlite3

from ..naturalsort import natural_key
from .errors import LibraryOpenError

_V1 = """
CREATE TABLE videos (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL UNIQUE,
    directory TEXT NOT NULL,
    filename TEXT NOT NULL,
    duration_frames INTEGER NOT NULL,
    duration_seconds REAL NOT NULL,
    frame_rate_numerator INTEGER NOT NULL,
    frame_rate_denominator INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    video_codec TEXT NOT NULL,
    audio_codec TEXT,
    container TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    file_mtime_ns INTEGER NOT NULL,
    thumbnail_path TEXT,
    missing_since TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    probed_at TEXT NOT NULL
);
CREATE INDEX videos_directory ON videos (directory);

CREATE VIRTUAL TABLE videos_fts USING fts5 (
    filename, path,
    content = 'videos', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER videos_fts_insert AFTER INSERT ON videos BEGIN
    INSERT INTO videos_fts (rowid, filename, path) VALUES (new.seq, new.filename, new.path);
END;
CREATE TRIGGER videos_fts_delete AFTER DELETE ON videos BEGIN
    INSERT INTO videos_fts (videos_fts, rowid, filename, path)
    VALUES ('delete', old.seq, old.filename, old.path);
END;
CREATE TRIGGER videos_fts_update AFTER UPDATE OF filename, path ON videos BEGIN
    INSERT INTO videos_fts (videos_fts, rowid, filename, path)
    VALUES ('delete', old.seq, old.filename, old.path);
    INSERT INTO videos_fts (rowid, filename, path) VALUES (new.seq, new.filename, new.path);
END;

CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    params TEXT NOT NULL,
    progress REAL,
    processed INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    current_file TEXT,
    result TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX jobs_status ON jobs (status);
"""

# Technical metadata (issue: an editor's library). The probe's whole result is kept as
# JSON (``technical``, with the version of the parser that wrote it, so rows written by
# an older parser are probed again once); the fields lists are sorted and filtered by
# are copied into columns of their own. ``natural_key`` is registered on every connection.
_V2 = """
ALTER TABLE videos ADD COLUMN technical TEXT;
ALTER TABLE videos ADD COLUMN technical_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE videos ADD COLUMN filename_key TEXT NOT NULL DEFAULT '';
ALTER TABLE videos ADD COLUMN frame_rate REAL NOT NULL DEFAULT 0;
ALTER TABLE videos ADD COLUMN display_width INTEGER;
ALTER TABLE videos ADD COLUMN display_height INTEGER;
ALTER TABLE videos ADD COLUMN rotation INTEGER;
ALTER TABLE videos ADD COLUMN pixel_format TEXT;
ALTER TABLE videos ADD COLUMN bit_depth INTEGER;
ALTER TABLE videos ADD COLUMN field_order TEXT;
ALTER TABLE videos ADD COLUMN hdr_format TEXT;
ALTER TABLE videos ADD COLUMN variable_frame_rate INTEGER;
ALTER TABLE videos ADD COLUMN start_timecode TEXT;
ALTER TABLE videos ADD COLUMN end_timecode TEXT;
ALTER TABLE videos ADD COLUMN bit_rate INTEGER;
ALTER TABLE videos ADD COLUMN audio_channels INTEGER;
ALTER TABLE videos ADD COLUMN audio_layout TEXT;
ALTER TABLE videos ADD COLUMN audio_sample_rate INTEGER;
ALTER TABLE videos ADD COLUMN creation_time TEXT;
ALTER TABLE videos ADD COLUMN fingerprint TEXT;
UPDATE videos SET
    filename_key = natural_key(filename),
    frame_rate = CAST(frame_rate_numerator AS REAL) / frame_rate_denominator;
CREATE INDEX videos_fingerprint ON videos (fingerprint) WHERE fingerprint IS NOT NULL;
"""


# Watched folders, and which interrupted jobs a start-up has already looked at for resuming.
# Stands alone: it assumes only the tables of _V1.
_WATCHES = """
CREATE TABLE watches (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL UNIQUE,
    poll INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    last_change_at TEXT,
    job_id TEXT
);

ALTER TABLE jobs ADD COLUMN resume_checked INTEGER NOT NULL DEFAULT 0;
-- Jobs interrupted before this version are history: none is resumed.
UPDATE jobs SET resume_checked = 1 WHERE status = 'interrupted';
CREATE INDEX jobs_to_resume ON jobs (seq) WHERE status = 'interrupted' AND resume_checked = 0;
"""


def _folders_up_from(row: str) -> str:
    """SQL selecting ``(path, parent)`` of every folder from ``row``'s directory up to ``/``.

    ``row`` is a trigger's ``new`` or ``old``. The directory is split at each ``/``
    (json_each) and put back together a part at a time (a running sum of lengths).
    """
    return f"""SELECT '/' AS path, '' AS parent
        UNION ALL
        SELECT substr({row}.directory, 1, ends),
               coalesce(nullif(substr({row}.directory, 1, ends - length(value) - 1), ''), '/')
        FROM (
            SELECT value, sum(length(value) + 1) OVER (ORDER BY key) AS ends
            FROM json_each(
                '[' || replace(json_quote(substr({row}.directory, 2)), '/', '","') || ']'
            )
        )
        WHERE {row}.directory <> '/'"""


# A trigger's statements counting the ``new`` row in its folder and every folder above it,
# and no longer counting the ``old`` one (folders left with no videos go).
_COUNT_IN = f"""
    INSERT INTO folders (path, parent, videos, missing, direct_videos, direct_missing)
    SELECT path, parent, 1, (new.missing_since IS NOT NULL), path = new.directory,
           path = new.directory AND (new.missing_since IS NOT NULL)
    FROM (
        {_folders_up_from("new")}
    )
    WHERE true
    ON CONFLICT (path) DO UPDATE SET
        videos = videos + 1, missing = missing + excluded.missing,
        direct_videos = direct_videos + excluded.direct_videos,
        direct_missing = direct_missing + excluded.direct_missing;
"""
_COUNT_OUT = f"""
    UPDATE folders SET
        videos = videos - 1, missing = missing - (old.missing_since IS NOT NULL),
        direct_videos = direct_videos - (path = old.directory),
        direct_missing = direct_missing - (path = old.directory AND (old.missing_since IS NOT NULL))
    WHERE path IN (SELECT path FROM (
        {_folders_up_from("old")}
    ));
    DELETE FROM folders WHERE videos = 0;
"""


# Reads that stay fast with a million videos (docs/performance.md, "Reading the library").
# Each sort has an index holding its column in the sort's default direction and then the
# path, so a sorted page, its ties and a keyset cursor are one walk of one index; each
# filter has an index of its own. ``folders`` (videos per directory that directly holds
# some) and ``fingerprints`` (present copies per content fingerprint) are kept by
# triggers, so folder trees, folder counts and duplicate groups are read without
# counting the videos. The full-text index is made again with prefix indexes, so a word
# of up to eight letters reads one list of rows, newest first, instead of merging the
# lists of every word it begins.
_V3 = f"""
CREATE INDEX videos_by_filename ON videos (filename_key, path);
CREATE INDEX videos_by_duration ON videos (duration_seconds DESC, path);
CREATE INDEX videos_by_size ON videos (file_size DESC, path);
CREATE INDEX videos_by_width ON videos (width DESC, path);
CREATE INDEX videos_by_frame_rate ON videos (frame_rate DESC, path);
CREATE INDEX videos_by_created ON videos (created_at DESC, path);
CREATE INDEX videos_by_modified ON videos (file_mtime_ns DESC, path);
CREATE INDEX videos_video_codec ON videos (video_codec);
CREATE INDEX videos_audio_codec ON videos (audio_codec);
CREATE INDEX videos_missing ON videos (missing_since);
CREATE INDEX videos_hdr ON videos (hdr_format);
CREATE INDEX videos_vfr ON videos (variable_frame_rate);
CREATE INDEX videos_field_order ON videos (field_order);

CREATE TABLE folders (
    path TEXT PRIMARY KEY,
    parent TEXT NOT NULL,
    videos INTEGER NOT NULL,
    missing INTEGER NOT NULL,
    direct_videos INTEGER NOT NULL,
    direct_missing INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX folders_parent ON folders (parent, path);
CREATE INDEX folders_empty ON folders (path) WHERE videos = 0;
-- A video counts in its folder and in every folder above it, up to '/': the folder's path
-- split at each '/' (json_each) and put back together a part at a time (a running sum).
CREATE TRIGGER videos_folders_insert AFTER INSERT ON videos BEGIN
{_COUNT_IN}END;
CREATE TRIGGER videos_folders_delete AFTER DELETE ON videos BEGIN
{_COUNT_OUT}END;
CREATE TRIGGER videos_folders_update AFTER UPDATE OF directory, missing_since ON videos BEGIN
{_COUNT_OUT}{_COUNT_IN}END;
-- The videos there are already: every folder up from each one's (rtrim by the folder's
-- own letters leaves it up to its last slash).
INSERT INTO folders (path, parent, videos, missing, direct_videos, direct_missing)
WITH RECURSIVE up (path, directory, missing) AS (
    SELECT directory, directory, missing_since IS NOT NULL FROM videos
    UNION ALL
    SELECT coalesce(nullif(rtrim(rtrim(path, replace(path, '/', '')), '/'), ''), '/'),
           directory, missing
    FROM up WHERE path <> '/'
)
SELECT path, CASE path WHEN '/' THEN ''
           ELSE coalesce(nullif(rtrim(rtrim(path, replace(path, '/', '')), '/'), ''), '/') END,
       count(*), sum(missing), sum(path = directory), sum(path = directory AND missing)
FROM up GROUP BY path;

CREATE TABLE fingerprints (
    fingerprint TEXT PRIMARY KEY,
    file_size INTEGER NOT NULL,
    copies INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX fingerprints_duplicated ON fingerprints (file_size DESC, fingerprint)
    WHERE copies > 1;
INSERT INTO fingerprints (fingerprint, file_size, copies)
    SELECT fingerprint, max(file_size), count(*) FROM videos
    WHERE fingerprint IS NOT NULL AND missing_since IS NULL GROUP BY fingerprint;
CREATE TRIGGER videos_fingerprints_insert AFTER INSERT ON videos
WHEN new.fingerprint IS NOT NULL AND new.missing_since IS NULL BEGIN
    INSERT INTO fingerprints (fingerprint, file_size, copies)
    VALUES (new.fingerprint, new.file_size, 1)
    ON CONFLICT (fingerprint) DO UPDATE SET copies = copies + 1;
END;
CREATE TRIGGER videos_fingerprints_delete AFTER DELETE ON videos
WHEN old.fingerprint IS NOT NULL AND old.missing_since IS NULL BEGIN
    UPDATE fingerprints SET copies = copies - 1 WHERE fingerprint = old.fingerprint;
    DELETE FROM fingerprints WHERE fingerprint = old.fingerprint AND copies = 0;
END;
CREATE TRIGGER videos_fingerprints_update AFTER UPDATE OF fingerprint, missing_since ON videos
BEGIN
    UPDATE fingerprints SET copies = copies - 1
    WHERE fingerprint = old.fingerprint AND old.missing_since IS NULL;
    DELETE FROM fingerprints WHERE fingerprint = old.fingerprint AND copies = 0;
    INSERT INTO fingerprints (fingerprint, file_size, copies)
    SELECT new.fingerprint, new.file_size, 1
    WHERE new.fingerprint IS NOT NULL AND new.missing_since IS NULL
    ON CONFLICT (fingerprint) DO UPDATE SET copies = copies + 1;
END;

DROP TABLE videos_fts;
CREATE VIRTUAL TABLE videos_fts USING fts5 (
    filename, path,
    content = 'videos', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3 4 5 6 7 8'
);
INSERT INTO videos_fts (videos_fts) VALUES ('rebuild');
"""

# Scrub strips: how many frames the video's strip holds; NULL while it has none. The
# strip's file is named by the video's id, next to its thumbnail.
_STRIP_FRAMES = """
ALTER TABLE videos ADD COLUMN strip_frames INTEGER;
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _WATCHES, _V3, _STRIP_FRAMES)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(LibraryOpenError):
    """The database was written by a newer stoat-ferret than this one."""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring ``conn``'s database up to :data:`SCHEMA_VERSION`; return the version found."""
    (found,) = conn.execute("PRAGMA user_version").fetchone()
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"database schema version {found} is newer than this program's {SCHEMA_VERSION}; "
            "upgrade stoat-ferret to open it"
        )
    # Migrations may order file names naturally (the function every connection has too).
    conn.create_function("natural_key", 1, natural_key, deterministic=True)
    for version in range(found, SCHEMA_VERSION):
        # executescript commits first, so each step is its own explicit transaction.
        conn.executescript(
            f"BEGIN;\n{MIGRATIONS[version]}\nPRAGMA user_version = {version + 1};\nCOMMIT;"
        )
    return int(found)
