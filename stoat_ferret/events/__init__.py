"""Server events: typed payloads, the job-event sink, and the hub that numbers and delivers."""
