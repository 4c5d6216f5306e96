"""moldau.broker.handlers."""
