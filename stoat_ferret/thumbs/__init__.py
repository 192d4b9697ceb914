"""Thumbnail images of videos: ffmpeg runs (:mod:`.ffmpeg`) and the job (:mod:`.job`)."""
