"""The app and a system Context for command-line use."""
from __future__ import annotations

from relief import create_app, live
from relief.services.context import Actor, Context


def cli_app(**overrides):
    return create_app(overrides or None)


def cli_context(app, actor: Actor | None = None) -> Context:
    return Context(store=app.extensions["relief.store"], actor=actor or Actor.system(), publish=live.publish,
                   standards_loader=app.extensions["relief.standards"], settings=app.config)
