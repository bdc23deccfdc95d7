"""RDF plumbing every stage may use: namespaces, formats, serialisers, the SPARQL lexer.

It imports no other klynge package, so anything may import it (the import contract in pyproject.toml).
"""
