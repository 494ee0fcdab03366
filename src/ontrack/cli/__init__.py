"""The ``ontrack`` command line: one module per command."""
