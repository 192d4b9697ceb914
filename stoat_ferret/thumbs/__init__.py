"""Thumbnail images of videos, made with ffmpeg as a job of their own."""

from .ffmpeg import ThumbnailFailed, make_thumbnail
from .job import Thumbnailer

__all__ = ["ThumbnailFailed", "Thumbnailer", "make_thumbnail"]
