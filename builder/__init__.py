"""The definition languages: forms and flows as frozen data, their validation and JSON exchange.

Imports only `rules`; does no I/O.
"""
