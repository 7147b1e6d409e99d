"""restsync.pipeline stage."""
