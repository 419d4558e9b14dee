"""Every check, one module per integration step; importing this package registers them all."""

from . import (  # noqa: F401
    adapter,
    endpages,
    inventory,
    invites,
    notifications,
    recontact,
    registration,
    sampling,
    trackers,
)
