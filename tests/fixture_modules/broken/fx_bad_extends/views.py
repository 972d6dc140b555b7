from flask import Blueprint, render_template

bp = Blueprint("fx_bad_extends", __name__, url_prefix="/fx/bad-extends",
               template_folder="templates")


@bp.route("/")
def page():
    return render_template("fx_bad_extends/page.html")
