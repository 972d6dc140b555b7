"""Taxes: the rates a line on a quotation or an invoice may carry (core.documents), set up
once by an administrator and chosen per line in the document editor."""


def register(module) -> None:
    from . import views
    from .models import Tax

    module.blueprint(views.bp)
    module.expose(Tax, read=["name", "rate", "sequence", "active"],
                  write=["name", "rate", "sequence", "active"], filter=["active"])
