"""The jobs the CLI runs that span several stages (the architecture's ``commands/`` layer)."""
