"""Slash commands: /social-stats [period] [@agent] [campaign], answered privately."""

import logging
from concurrent.futures import TimeoutError as Pending

from slack_bolt import Ack, App, Respond

from bot.chats.slack import digest_blocks, stats_args
from bot.domain.errors import NotCounted

log = logging.getLogger(__name__)

# A report over a long period of a large history can take most of a second: Slack hears back within this much
# whatever happens, with the figures when they are ready by then, else first with nothing and the figures after.
INLINE_WAIT_SECONDS = 0.03


def not_counted(err: NotCounted) -> dict:
    log.error("/social-stats not counted: %s", err.reason)
    return {"text": NotCounted.told}


def register(app: App, bridge) -> None:
    def answer(args: stats_args.StatsArgs, agent: str | None, campaigns: list[str]) -> dict:
        try:
            period = bridge.metrics.period(args.period)
        except ValueError as err:
            # A word that is no period may be a mistyped campaign: say which there are.
            known = f" (nor a campaign: {', '.join(campaigns)})" if campaigns and args.campaign is None else ""
            return {"text": digest_blocks.usage(f"{err}{known if 'not a period' in str(err) else ''}")}
        try:
            report = bridge.metrics.report(period, agent=agent, campaign=args.campaign)
        except NotCounted as err:
            return not_counted(err)
        text, blocks = digest_blocks.stats_answer(report)
        return {"text": text, "blocks": blocks}

    def figures(args: stats_args.StatsArgs, agent: str | None, campaigns: list[str]):
        """The answer to come (see bot.domain.report_queue)."""
        question = ("slack", args, agent, tuple(campaigns))
        return bridge.reports.submit(question, lambda: answer(args, agent, campaigns))

    @app.command("/social-stats")
    def social_stats(ack: Ack, command: dict, respond: Respond):
        try:
            campaigns = bridge.campaigns()
        except NotCounted as err:
            ack(**not_counted(err))
            return
        try:
            args = stats_args.parse(command.get("text") or "", campaigns)
        except stats_args.NeedsUsage as err:
            ack(text=digest_blocks.usage(str(err) or None))
            return
        if not args.agent_name:
            answered = figures(args, args.agent_id, campaigns)
            try:
                ack(**answered.result(timeout=INLINE_WAIT_SECONDS))
            except Pending:
                ack()
                respond(**answered.result(), response_type="ephemeral")
            return
        # A name needs Slack's user directory, which may take longer than an ack can wait: answer by response_url.
        ack(text=f"Looking up @{args.agent_name}…")
        try:
            agent = bridge.metrics.find_agent(args.agent_name)
        except NotCounted as err:
            respond(**not_counted(err), response_type="ephemeral")
            return
        if agent is None:
            problem = f"I know no agent called @{args.agent_name}: mention them (type @ and pick them from the list)."
            respond(text=digest_blocks.usage(problem), response_type="ephemeral")
            return
        respond(**figures(args, agent, campaigns).result(), response_type="ephemeral")
