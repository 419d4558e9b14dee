"""toluna-sandbox: a local stand-in for Toluna's Integrated Panel partner API.

Layers, innermost first; each imports only the ones before it (``tests/test_architecture.py`` checks it):

- ``domain/``: Toluna's rules as plain data and functions, no I/O: the model, sampling and the decision chain,
  result codes (``codes.py``), outcomes and end pages, notification events (``events.py``), registration, reports.
- ``store/``: the storage port (``port.py``: repositories and the unit of work; ``records.py``: the values it trades
  in) and its implementations (``sqlite/``). ``open_store`` picks one; a new backend is a new ``store/<name>/``.
- ``services/``: one module per offering (access, inventory, invites, members, dashboard, survey flow,
  notifications, world control, timeline, triggers, explain, reports, journal); each gets its collaborators passed
  in and reaches state only through the port.
- ``api/``, ``cli*.py``, ``web/``: HTTP blueprints and commands that parse a request, call one service and shape
  the answer. ``app.py`` builds the store, every service and every blueprint in one place.

Beside them: ``scenario/`` (reading scenario files), ``notify/`` (notification payloads, encryption, delivery),
``schemas/`` (JSON Schemas, the OpenAPI source), ``server.py`` (granian). Where a new thing goes:
``docs/architecture.md``.
"""

__version__ = "0.1.0"
