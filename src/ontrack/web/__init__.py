"""The web app: ``create_app(Settings)`` (an app factory, so tests and ``ontrack serve`` build it
the same way), server-rendered pages with htmx, and the REST API under ``/api/v1``. A thin
layer over the application layer: every figure is the program assessment's."""
