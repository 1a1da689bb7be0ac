"""The chats the bridge mirrors cases into: one folder per chat (slack/, later teams/)."""
