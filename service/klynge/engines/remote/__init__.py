"""A remote SPARQL 1.1 store as the service's engine, in five parts with one job each.

``binding`` writes bound terms into a query's text (a remote store has no ``substitutions``), ``http`` speaks
the SPARQL 1.1 Protocol over HTTP/1.1, ``dialect`` holds what one kind of store needs (how requests restrict the
dataset, how answers are read, how the store is loaded: Virtuoso's, QLever's), and ``engine`` is
``RemoteEngine``. Publishing the graph to a store is ``klynge.commands.load`` (by SPARQL Update) or ``bulk``
(an N-Quads file for the store's own loader).
"""

from klynge.engines.remote.engine import RemoteEngine
from klynge.engines.remote.http import EndpointError

__all__ = ["EndpointError", "RemoteEngine"]
