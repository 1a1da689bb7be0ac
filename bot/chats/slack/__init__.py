"""Slack: the Chat adapter over slack_sdk, Block Kit builders, text conversion, the manifest, Socket Mode."""
