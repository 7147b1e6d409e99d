"""restsync.extract stage."""
