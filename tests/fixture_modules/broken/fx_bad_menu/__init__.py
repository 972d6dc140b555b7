"""Fixture module: its menu names the endpoint `fx_bad_menu.pgae`, its page is `page`."""


def register(module):
    from . import views

    module.blueprint(views.bp)
