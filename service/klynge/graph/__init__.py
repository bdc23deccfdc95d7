"""From the Turtle sources to the published graph: build, materialise, export, synthesise."""
