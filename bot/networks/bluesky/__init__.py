"""Bluesky: brand accounts on the AT Protocol, through the atproto SDK."""
