"""The Web Connector: reads .qwc files and polls a server's SOAP endpoint as QBWC does."""
