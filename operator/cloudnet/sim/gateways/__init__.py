"""The API gateways several families of one cloud sit behind (``Gateway`` in ``sim/family.py``).

Each cloud authenticates before its services see a request, with error codes
and bodies of its own, so what the gateway does is shared by the families
behind it rather than copied into each.
"""
