"""Background jobs: snapshots and results (pure), refusals, and the runner in :mod:`.runner`."""
