"""Slack and Teams side by side behind the one Chat port the domain talks to: each call goes to the chat whose
channel it names (Teams' channel ids are `19:…@thread.…`, its 1:1 chats `a:…`; anything else is Slack's).

The digests go to the one digest channel the domain knows (Slack's) and, beside it, to Teams' digest channel."""

from bot.domain.types import CardView


def is_teams(channel: str | None) -> bool:
    return bool(channel) and (channel.startswith(("19:", "a:")) and "@thread." in channel or channel.startswith("a:"))


class ChatRouter:
    # How notices name the chat: the domain says one name for all its cases (a case's own chat is not passed).
    name = "Slack or Teams"

    def __init__(self, slack, teams, *, teams_digest_channel: str | None = None):
        self.slack, self.teams, self.teams_digest_channel = slack, teams, teams_digest_channel
        self.client = slack.client  # Slack's WebClient: what Bolt and the start-up checks use

    def _for(self, channel: str | None):
        return self.teams if is_teams(channel) else self.slack

    def post_card(self, channel: str, card: CardView):
        return self._for(channel).post_card(channel, card)

    def update_card(self, channel, ts, card):
        return self._for(channel).update_card(channel, ts, card)

    def post_in_thread(self, channel, thread_id, post):
        return self._for(channel).post_in_thread(channel, thread_id, post)

    def find_mirror(self, channel, thread_id, message_id, since):
        return self._for(channel).find_mirror(channel, thread_id, message_id, since)

    def say_in_thread(self, channel, thread_id, text):
        return self._for(channel).say_in_thread(channel, thread_id, text)

    def thread_messages(self, channel, thread_id, *, oldest, latest):
        return self._for(channel).thread_messages(channel, thread_id, oldest=oldest, latest=latest)

    def tell(self, channel, user, text, thread_id=None):
        return self._for(channel).tell(channel, user, text, thread_id)

    def say_in_channel(self, channel, text):
        return self._for(channel).say_in_channel(channel, text)

    def seconds_for(self, channel, count):
        return self._for(channel).seconds_for(channel, count)

    def posts_within(self, channel, seconds):
        return self._for(channel).posts_within(channel, seconds)

    def post_status(self, channel, text):
        return self._for(channel).post_status(channel, text)

    def update_status(self, channel, message_id, text):
        return self._for(channel).update_status(channel, message_id, text)

    def alert(self, channel, thread_id, alert):
        return self._for(channel).alert(channel, thread_id, alert)

    def group_members(self, group):
        return self.slack.group_members(group)

    def post_pending(self, channel, thread_id, reply_id, text):
        return self._for(channel).post_pending(channel, thread_id, reply_id, text)

    def update_notice(self, channel, ts, text, undo_reply_id=None):
        return self._for(channel).update_notice(channel, ts, text, undo_reply_id)

    def ask(self, channel, user, text, choices, thread_id=None):
        return self._for(channel).ask(channel, user, text, choices, thread_id)

    def post_digest(self, channel, digest):
        ts = self._for(channel).post_digest(channel, digest)
        if self.teams_digest_channel and not is_teams(channel):
            self.teams.post_digest(self.teams_digest_channel, digest)
        return ts

    def upload_file(self, channel, content, filename, title, initial_comment):
        self._for(channel).upload_file(channel, content, filename, title, initial_comment)
        if self.teams_digest_channel and not is_teams(channel):
            self.teams.upload_file(self.teams_digest_channel, content, filename, title, initial_comment)

    def thread_link(self, channel, thread_id):
        return self._for(channel).thread_link(channel, thread_id)

    def find_user(self, name, candidates):
        return self.slack.find_user(name, candidates) or self.teams.find_user(name, candidates)
