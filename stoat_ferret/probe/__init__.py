"""Reading what a video file holds, with ``ffprobe``: parsing (pure) and running it."""
