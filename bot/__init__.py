"""The running service and the CLI: the only package that talks to the outside world."""
