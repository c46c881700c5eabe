"""The plumbing the flows run inside: the cycle's shared resources (cycle.py), the Prefect API clients
(api.py), the process settings (process.py), and the private APIs of dependencies they rest on (*_compat.py)."""
