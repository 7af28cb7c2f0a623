"""The Prometheus counters and gauges of one bot, in a registry of its own (`/metrics`)."""
