"""One package per simulated API family, each described by its ``FAMILY`` (``sim/family.py``).

A family's folder holds everything it knows: ``api.py`` (routes, auth,
handlers, error codes), ``world.py`` (settings, tables, lifecycle),
``inventory.py`` (its section of the inventory YAML, if it has one),
``admin.py`` (its ``/_sim/`` edits, if any) and ``__init__.py`` (``FAMILY``).
Families import the shared simulator modules and their cloud's gateway
(``sim/gateways/``), never each other; ``sim/registry.py`` installs them.
"""
