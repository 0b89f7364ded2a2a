"""The local stack: a real Apache Kafka broker (KRaft) and a real PostgreSQL, on loopback.

Used alike by ``ledgerflow dev``, the demo and the tests. Kafka's jars come from Maven Central
through ``mvn`` and are cached; data lives under the stack's home folder.
"""
