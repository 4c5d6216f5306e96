"""moldau.client."""
