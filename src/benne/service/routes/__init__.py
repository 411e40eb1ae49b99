"""The routers of the app: the person's rights, the partner read, admin, and the web pages."""
