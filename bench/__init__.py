"""Benchmarks: how close the bot comes to the limits Slack and X set. `python -m bench` (see bench/run.py)."""
