"""The tutorial's module (docs/modules.md), kept here so that the tutorial runs: its tests
enable it, use it and purge it, and a test checks the tutorial shows this very code."""
