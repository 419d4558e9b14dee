"""Example integrations that talk to a toluna-sandbox over HTTP only."""
