"""From the Turtle sources to the published graph: build and materialise it, the standard vocabularies it
reuses, and the release records that are its history."""
