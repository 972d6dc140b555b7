"""Fixture modules that are each broken in one way the start-up checks catch (a folder of
their own, so that only the tests of those checks load them)."""
