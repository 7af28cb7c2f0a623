"""GET /metrics: each counter moves when its event happens, each gauge reads the database."""
