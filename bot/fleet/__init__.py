"""What lets several workers run as one: leases, the outbox, rate limits, metrics, shared snapshots, logs."""
