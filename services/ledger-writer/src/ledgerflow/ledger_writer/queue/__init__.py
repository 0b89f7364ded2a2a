"""Per-company queues: commands filed off Kafka at once, each company drained at its own pace by one writer."""
