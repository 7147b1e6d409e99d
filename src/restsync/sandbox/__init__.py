"""restsync.sandbox stage."""
