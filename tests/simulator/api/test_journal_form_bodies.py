"""A form posted to the survey page is journaled with its body, as a JSON body is: the view parsing the form must not
leave the journal (and a HAR exported from it) an empty request body."""

from __future__ import annotations

from flask.testing import FlaskClient

from simulator.domain.urls import INVITE_PATH


def test_a_posted_form_is_journaled_with_its_body(client: FlaskClient) -> None:
    resp = client.post(f"{INVITE_PATH}?pgtid=20&od=no-such-token", data={"outcome": "qualified", "ref": "r-1"})
    assert resp.status_code == 409  # no open visit for this link: the form was read and answered
    journal = client.application.extensions["toluna_sandbox"].journal
    (entry,) = [e for e in journal.query(route="survey_outcome")]
    assert entry.request_body is not None
    assert "outcome=qualified" in entry.request_body and "ref=r-1" in entry.request_body
