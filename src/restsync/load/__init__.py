"""restsync.load stage."""
