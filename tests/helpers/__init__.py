"""What the tests share: stand-in servers, databases, clients, pollers and data sets."""
