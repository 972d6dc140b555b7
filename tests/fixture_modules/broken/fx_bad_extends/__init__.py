"""Fixture module: a template extending `fx_bad_extends/layout.html`, which is not there."""


def register(module):
    from . import views

    module.blueprint(views.bp)
