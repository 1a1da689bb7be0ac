"""Clicks and state-changing slash commands are recorded before Slack hears 200, as thread messages are.

A listener middleware runs in the request's own thread, before Bolt hands the listener to its pool and waits for the
ack: so Slack hears 200 only for a click that is recorded. If the database does not take it within
REQUEST_WAIT_SECONDS (locked, full, away), Slack hears 500 well inside its 3 s, and the person sees that the click
failed, instead of a click answered and then dropped. A click already recorded (Slack's retry, a replay of the same
signed request) is answered 200 and changes nothing: its work is done, or being done, by whoever recorded it.

A click's key is who clicked which control when (`action_ts`; a slash command's `trigger_id`): a retry or a replay
repeats it, two real clicks of the same button never do. A payload without those is keyed by its bytes.
"""

import hashlib
import json
import logging
from collections.abc import Callable

from slack_bolt import BoltContext, BoltRequest, BoltResponse

from bot.domain.errors import NotRecorded
from bot.domain.types import Click

log = logging.getLogger(__name__)

NOT_RECORDED = "The bridge could not record this request in time. Nothing was changed: please try again."


def click_key(kind: str, user: str, control: str, stamp, request: BoltRequest) -> str:
    if isinstance(stamp, str) and stamp:
        return f"{kind}:{user}:{control}:{stamp}"
    # Over HTTP, the body's bytes; in Socket Mode Bolt has the payload only as parsed JSON.
    raw = request.raw_body or json.dumps(request.body, sort_keys=True, default=str)
    return f"{kind}:sha256:{hashlib.sha256(raw.encode()).hexdigest()}"


def recorded(bridge, parse: Callable[[dict, BoltRequest], Click | None]):
    """A listener middleware that records the click `parse` reads from the request (None: not a click that changes
    anything, or a malformed one the listener answers) and hands it to the listener as context["click"]."""

    def record(body: dict, request: BoltRequest, context: BoltContext, next):
        click = parse(body, request)
        if click is not None:
            try:
                new = bridge.clicks.record(click)
            except NotRecorded as err:
                log.warning("a %s by %s was not recorded (%s): answered 500", click.verb, click.user, err.reason)
                return BoltResponse(status=500, body=NOT_RECORDED)
            if not new:
                log.info("a %s by %s was received again (%s): nothing changes", click.verb, click.user, click.key)
                return BoltResponse(status=200, body="")
            context["click"] = click
        return next()

    return record
