"""The store contract: what every implementation of ``simulator.store.port.Store`` promises, asserted through the
port alone (see ``conftest.IMPLEMENTATIONS`` for the implementations it runs against)."""
