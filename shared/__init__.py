"""Maillage's common package: the event model, the bus, settings, errors and search stores."""
