"""The ``govgraph`` command line: a thin shell over the functions the API and the loaders use."""
