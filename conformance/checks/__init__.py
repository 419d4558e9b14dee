"""Every check, one module per integration step; importing this package registers them all."""

from . import (  # noqa: F401
    adapter,
    endpages,
    inventory,
    invites,
    mapping,
    notifications,
    receivers,
    recontact,
    registration,
    run,
    sampling,
    trackers,
)
