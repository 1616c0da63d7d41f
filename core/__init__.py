"""The floor: settings, errors, access, metadata, filters and all persistence.

Imports no other package of ours.
"""
