"""toluna-conformance: drives a partner's integration against a toluna-sandbox and judges it against Toluna's
integration steps and sampling rules, each verdict with its evidence."""

__version__ = "0.1.0"
