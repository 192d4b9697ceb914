"""The library's schema, as forward migrations keyed by ``PRAGMA user_version``.

A migration is never edited once released; a change to the schema is a new
entry appended to :data:`MIGRATIONS`.
"""

from __future__ import annotations

import sqlite3

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

# Scrub strips: how many frames the video's strip holds; NULL while it has none. The
# strip's file is named by the video's id, next to its thumbnail.
_STRIP_FRAMES = """
ALTER TABLE videos ADD COLUMN strip_frames INTEGER;
"""

MIGRATIONS: tuple[str, ...] = (_V1, _STRIP_FRAMES)
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
    for version in range(found, SCHEMA_VERSION):
        # executescript commits first, so each step is its own explicit transaction.
        conn.executescript(
            f"BEGIN;\n{MIGRATIONS[version]}\nPRAGMA user_version = {version + 1};\nCOMMIT;"
        )
    return int(found)
