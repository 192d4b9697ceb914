"""Scanning directories into the library: paths, the walk, the plan (pure) and the job."""
