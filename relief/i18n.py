"""Flask-Babel: Simplified Chinese and English, chosen by the user or the browser."""
from __future__ import annotations

from pathlib import Path

from flask import current_app, request, session
from flask_babel import Babel

babel = Babel()


def select_locale() -> str:
    chosen = session.get("lang")
    languages = current_app.config["LANGUAGES"]
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    babel.init_app(app, locale_selector=select_locale)
