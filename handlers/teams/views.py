"""What a click is answered with: the case's card as it is now, for the clicker, with their notice."""

import re

from bot.chats.teams import cards
from bot.domain.cards import card_view
from storage import cases

ANY_VERB = re.compile(r".+")


def message(text: str) -> dict:
    return cards.invoke_message(text)


def answer(bridge, chat, click, notice: str | None) -> dict:
    if click.verb not in ("claim", "unclaim", "resolve", "reopen", "saved_reply", "reassign"):
        return message(chat.plain(notice) if notice else "Done.")
    with bridge.session() as s:
        case = cases.get_case(s, case_id=click.target)
    if case is None:
        return message(chat.plain(notice or "That case is not known to the bridge. Nothing was changed."))
    handle = bridge.handle_for(case)
    team = bridge.agents.team() if case.status == "claimed" else None
    with bridge.session() as s:
        view = card_view(s, bridge.network_of(case), case, handle, team, chat_name=chat.name)
    return chat.case_view(view, notice)
