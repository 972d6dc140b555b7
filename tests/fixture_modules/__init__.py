"""Small modules that exercise the module contract without any business module."""
