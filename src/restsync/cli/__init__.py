"""restsync.cli stage."""
