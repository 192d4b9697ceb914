"""The benchmarks' shared harness: corpus, baselines, server, measuring, reporting.

Each ``tools/bench_*.py`` script puts this package on its path (it runs from ``tools/``)
and reads in a screen or two: what it measures, against which baseline from the same
run, and the targets it judges. Modules:

``workspace``  the run's temporary tree: generated clips copied under distinct names,
               media folders, prober wrapper scripts
``baselines``  the same work done by ``xargs -P <cpus>`` (ffprobe, ffmpeg), synchronously or
               as a trio child process
``server``     the real service on a loopback port with its own data dir, and a client
``measure``    percentiles, ratios, CPU times, run-queue waits, /health/live sampling
``procs``      child processes of this one, liveness, killing survivors by pid
``report``     rows, targets, the human table, the JSON file, the command line
"""
