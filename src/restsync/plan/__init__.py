"""restsync.plan stage."""
