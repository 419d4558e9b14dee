"""Every check, one module per integration step; importing this package registers them all."""

from . import endpages, inventory, invites, recontact, sampling, trackers  # noqa: F401
