"""The operator console: a server-rendered web application over the services' own tables."""
