"""restsync.normalize stage."""
