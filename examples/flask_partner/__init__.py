"""A respondent-driven panel integrated with Toluna's Integrated Panel: a Flask app over SQLite.

Members live in the panel's own CSV (its own labels, mapped to Toluna's ids by ``mapping.yaml``); a member asks for
a survey one at a time (``POST /adapter/respondent``) and the panel samples them against the live inventory itself,
asks Toluna for one invite, and sends them through its own ``/go/<token>`` link so that their way back is known.
Run it with ``python -m examples.flask_partner --port P``.
"""
