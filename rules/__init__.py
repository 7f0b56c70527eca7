"""The rule language: conditions, decision tables and computed-field expressions.

Pure data in, pure data out; no I/O and no imports from the rest of formflow.
"""
