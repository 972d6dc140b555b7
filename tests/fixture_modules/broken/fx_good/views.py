from flask import Blueprint, render_template

bp = Blueprint("fx_good", __name__, url_prefix="/fx/good", template_folder="templates")


@bp.route("/")
def page():
    return render_template("fx_good/page.html")
