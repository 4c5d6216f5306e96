"""Generator of moldau's protocol codec from Apache Kafka's JSON message specs (stdlib only)."""
