"""Long-lived media workers: probing, thumbnails and scrub strips in-process with PyAV.

Server side (trio): :mod:`.pool` (``open_worker_pool``) and :mod:`.process` (one worker
process), with :mod:`.errors`. Worker side (a plain program, ``python -m
stoat_ferret.workers.libav``): :mod:`.libav`, :mod:`.describe` (ffprobe-shaped JSON) and
:mod:`.pictures` (JPEGs). Both sides speak :mod:`.protocol`, which is pure.

This package imports nothing itself, so that a worker starting up loads only what it
needs (not trio), and the server never imports PyAV.
"""
