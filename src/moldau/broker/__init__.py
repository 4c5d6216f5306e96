"""moldau.broker."""
