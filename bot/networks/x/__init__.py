"""X: the Network adapter over tweepy and weighted text length."""
