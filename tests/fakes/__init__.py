"""The Slack and X stand-ins the tests drive (package code, so the sandbox can serve them too)."""

from bot.sandbox.standins.slack_api import FakeSlack
from bot.sandbox.standins.slack_api import FaultPlan as SlackFaults
from bot.sandbox.standins.slack_driver import Delivery, SlackDriver
from bot.sandbox.standins.x_api import FakeX
from bot.sandbox.standins.x_api import FaultPlan as XFaults
from tests.fakes.recording_chat import RecordingChat

__all__ = ["Delivery", "FakeSlack", "FakeX", "RecordingChat", "SlackDriver", "SlackFaults", "XFaults"]
