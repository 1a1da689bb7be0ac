"""The social networks customers write on: one folder per network (x/, later bluesky/)."""
