"""klynge: an open knowledge graph of Danish cluster and innovation policy, with a query service."""

__version__ = "0.1.0"
