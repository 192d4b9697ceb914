"""The HTTP and WebSocket API, served by Quart-Trio."""

from .app import create_app

__all__ = ["create_app"]
