"""The domain's verbs as Slack's action ids (on buttons, menus and in block_actions), and back."""

from bot.domain.verbs import REPLY_CHOICES, Verb

# Today each reply choice's action id is the verb's own value; a Slack-only rename would be made here alone.
REPLY_ACTION_IDS: dict[Verb, str] = {verb: verb.value for verb in REPLY_CHOICES}
VERB_OF_ACTION_ID: dict[str, Verb] = {action_id: verb for verb, action_id in REPLY_ACTION_IDS.items()}
