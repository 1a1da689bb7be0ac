"""Everything Microsoft Teams: the Chat port over the Microsoft 365 Agents SDK, Adaptive Cards, the app package."""
