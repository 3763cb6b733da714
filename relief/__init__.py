"""relief: disaster emergency-relief coordination on a live map.

``create_app(config=None)`` builds the Flask application: settings from
``RELIEF_*`` variables (overlaid with ``config``), the store, Babel, CSRF,
Socket.IO and the blueprints. The schema is brought up to date on first use.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

__version__ = "0.1.0"

_PACKAGE = Path(__file__).resolve().parent


def asset_folder(name: str) -> str:
    """``static``/``templates`` inside an installed wheel, else beside the package in a checkout."""
    packaged = _PACKAGE / name
    return str(packaged if packaged.is_dir() else _PACKAGE.parent / name)


def create_app(config: Mapping[str, Any] | None = None):
    from flask import Flask

    from relief import config as settings
    from relief import i18n, live, offload
    from relief.domain.standards import Standards
    from relief.services.standards import standards_loader
    from relief.store.db import Store
    from relief.store.migrate import upgrade
    from relief.web import register, security

    values = settings.load(config)
    app = Flask(__name__, static_folder=asset_folder("static"), template_folder=asset_folder("templates"),
                instance_path=values["INSTANCE_PATH"])
    app.config.update(values)
    store = Store(app.config["DATABASE_URL"], write_wait_seconds=app.config["WRITE_WAIT_SECONDS"],
                  postgres_writers=app.config["POSTGRES_WRITERS"])
    app.extensions["relief.store"] = store
    # the standards in force: the published version, else the bundled document (the app's choice, not the domain's)
    app.extensions["relief.standards"] = standards_loader(store, Standards.bundled())
    if app.config.get("AUTO_MIGRATE", True):
        upgrade(store)
    i18n.init_app(app)
    live.init_app(app)
    offload.init_app(app, live.socketio.async_mode)
    register(app)
    security.init_app(app)  # after the blueprints: the exported map's view gets its own policy
    return app
