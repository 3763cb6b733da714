"""Use cases: what a person or the scheduler asks of relief, each in one transaction.

A service takes a :class:`~relief.services.context.Context`, reads and writes
through ``relief.store`` functions, decides with ``relief.domain`` rules, and
answers plain JSON-ready dicts; events are published after commit. Services
never import Flask or SQLAlchemy. The shapes of answers and event payloads
live in one module per concern, ``services/<concern>_json.py`` (GeoJSON in
``services/geojson.py``), built with :mod:`relief.jsonable`'s rules.
"""
