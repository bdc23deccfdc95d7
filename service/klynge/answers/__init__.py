"""What the service answers: lineage, paths, search, descriptions, named queries, dataset."""
