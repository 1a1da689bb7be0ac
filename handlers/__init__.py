"""The chat fronts' listeners: one folder per chat (slack/ holds the Bolt listeners)."""
