"""restsync.spec stage."""
