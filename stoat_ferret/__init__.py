"""stoat-ferret: a media-library service for a video editor."""

__version__ = "0.10.0"
