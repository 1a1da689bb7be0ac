"""One place for handler failures: logged with the activity's type. A request that could not be recorded in time
is the exception: it propagates, so Teams hears 500 and delivers the activity again."""

import logging

log = logging.getLogger(__name__)


class NotRecordedInTime(Exception):
    """The database did not take the activity in time: answered 500, nothing was done."""


def register(app) -> None:
    @app.error
    async def on_error(context, error: Exception):
        if isinstance(error, NotRecordedInTime):
            raise error
        activity = context.activity
        log.error("Teams handler failed on %s %s: %s", activity.type, activity.id, error, exc_info=error)
