"""Several app instances on one database: the shared event log and cluster-wide leases."""
