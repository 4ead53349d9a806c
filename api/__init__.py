"""Entry points: the FastAPI application factory and the ``govgraph`` command line."""
