"""Card buttons (Action.Execute): Claim, Unclaim, Resolve, Reopen, a saved reply, and the buttons of a reply's
notices. Each click is recorded before Teams hears back (a retry of the same activity id changes nothing), done,
and answered in the invoke response: the clicker's own view of the card, with what only they are told (who owns a
case they lost the race for). Everyone else's view is redrawn by the domain (updateActivity)."""

import asyncio
import logging

from microsoft_agents.activity import AdaptiveCardInvokeResponse

from bot.domain.errors import NotRecorded
from bot.domain.types import Click
from handlers.teams import views

log = logging.getLogger(__name__)

CASE_VERBS = ("claim", "unclaim", "resolve", "reopen", "saved_reply", "reassign")
CHOICES = {"saved_reply": "saved_reply", "reassign": "reassign_to"}  # verb -> the input whose value it carries
REPLY_VERBS = ("reply_undo", "reply_delete", "reply_repost", "reply_keep", "reply_send_late", "reply_drop_late")
MALFORMED = "That button did not say which case it belongs to. Nothing was changed."
NOT_RECORDED = "The bridge could not record this click in time. Nothing was changed: please try again."


def _number(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**12 else None


def click_of(activity: dict, data, user: str | None) -> Click | None:
    data = data if isinstance(data, dict) else {}
    verb = data.get("verb")
    if not user or not isinstance(activity.get("id"), str) or verb not in CASE_VERBS + REPLY_VERBS:
        return None
    target = _number(data.get("case") if verb in CASE_VERBS else data.get("reply"))
    choice = data.get(CHOICES[verb]) if verb in CHOICES else None
    if target is None or (verb in CHOICES and not (isinstance(choice, str) and choice)):
        return None
    channel = ((activity.get("channelData") or {}).get("channel") or {}).get("id")
    return Click(f"teams:{activity['id']}", verb, user, target, choice, channel=channel)


def register(app, bridge, chat, pool) -> None:
    @app.adaptive_card.action_execute(views.ANY_VERB)
    async def on_click(context, state, data):
        activity = context.activity.model_dump(mode="json", by_alias=True, exclude_none=True)
        user = chat.people.saw(activity.get("from") or {})
        click = click_of(activity, data, user)
        if click is None:
            return AdaptiveCardInvokeResponse.model_validate(views.message(MALFORMED))
        try:
            new = await asyncio.to_thread(bridge.clicks.record, click)
        except NotRecorded as err:
            log.warning("a %s by %s was not recorded (%s)", click.verb, click.user, err.reason)
            return AdaptiveCardInvokeResponse.model_validate(views.message(NOT_RECORDED))
        notice = None
        if new:
            outcome = await asyncio.to_thread(bridge.clicks.run, click)
            notice = outcome.notice
        else:
            log.info("a %s by %s was received again (%s): nothing changes", click.verb, click.user, click.key)
        answer = await asyncio.to_thread(views.answer, bridge, chat, click, notice)
        return AdaptiveCardInvokeResponse.model_validate(answer)
