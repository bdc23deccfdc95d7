"""A remote SPARQL 1.1 store as the service's engine, in four parts with one job each.

``binding`` writes bound terms into a query's text (a remote store has no ``substitutions``), ``http`` speaks
the SPARQL 1.1 Protocol over httpx, ``dialect`` holds one store's quirks (Virtuoso's), and ``engine`` is
``RemoteEngine``. Publishing the graph to a store is ``klynge.engines.load``.
"""

from klynge.engines.remote.engine import RemoteEngine
from klynge.engines.remote.http import EndpointError

__all__ = ["EndpointError", "RemoteEngine"]
