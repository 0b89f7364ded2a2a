"""A QuickBooks Desktop simulator: company files answering qbXML, and a Web Connector that polls a server."""
