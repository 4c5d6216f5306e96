"""moldau.coordinator."""
