"""Helpers shared by the test folders (records, small models, live servers, worlds).

Not tests themselves: test modules import these, never one another.
"""
