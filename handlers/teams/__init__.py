"""Teams activity and invoke handlers, thin: parse, record, answer, then the slow work. `register(...)` wires them
to the Agents SDK's AgentApplication."""

from handlers.teams import clicks, errors, messages


def register(app, bridge, chat, pool) -> None:
    errors.register(app)
    clicks.register(app, bridge, chat, pool)
    messages.register(app, bridge, chat, pool)
