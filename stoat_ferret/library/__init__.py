"""The SQLite library: records (:mod:`.models`), the store (:mod:`.store`), its schema."""
