"""Helpers shared by the test suite: generated media, a fake prober, a live server."""
