"""The domain: ingest, claim, reply, resolve, metrics. It knows no chat and no network by name, only the ports."""
