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

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _WATCHES)
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
