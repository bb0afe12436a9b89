"""Editor features as plain functions of (text, position, services), returning lsprotocol types.

Architecture invariant: this is the only package that converts between domain values and
lsprotocol types; handlers in server.py only call into it.
"""
