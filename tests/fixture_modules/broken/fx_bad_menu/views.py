from flask import Blueprint

bp = Blueprint("fx_bad_menu", __name__, url_prefix="/fx/bad-menu")


@bp.route("/")
def page():
    return "a page"
