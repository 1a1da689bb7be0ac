"""The domain: ingest, claim, reply, resolve, metrics. It knows neither Slack nor X, only the ports."""
