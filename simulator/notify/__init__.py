"""Toluna's notifications to the partner: payloads (JSON or XML), standard encryption, and the durable outbox's
dispatcher."""
