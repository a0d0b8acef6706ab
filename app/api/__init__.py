"""JSON routes: thin adapters between HTTP and the pipeline."""
