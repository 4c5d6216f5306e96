"""moldau.tools."""
