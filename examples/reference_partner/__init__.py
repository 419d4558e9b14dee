"""A small, complete External Sample partner integration, written from Toluna's documentation alone: it registers
members, polls the inventory, samples with its own implementation of Toluna's rules, asks for invites, pages
recontact lists, and serves end pages and notification endpoints. It shares no code with the sandbox, so a bug in
the sandbox's engine cannot hide behind two copies agreeing."""
