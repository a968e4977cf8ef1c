"""Service functions behind the routes: the routes parse, call one of these, and return."""
