"""moldau.protocol.records."""
