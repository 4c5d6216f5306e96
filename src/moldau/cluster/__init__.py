"""moldau.cluster."""
