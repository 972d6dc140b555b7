"""Business modules: each sub-folder with a manifest.toml is one (see docs/modules.md)."""
