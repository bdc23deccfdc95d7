"""Checking the graph: SHACL (pySHACL and compiled to SPARQL), HermiT, reports."""
