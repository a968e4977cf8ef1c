"""Side effects, one module per concern. Activities are methods of small classes that receive
their adapters in the constructor; worker.py builds them from settings."""
