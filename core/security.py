"""HTTP security headers. The CSP allows no inline script: pages load JS from our static
files only."""
from flask import redirect, request
from flask_wtf import CSRFProtect

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def safe_target(target: str | None, fallback: str) -> str:
    """`target` when it stays on this site (a local path, or a URL of this host), else
    `fallback`: the one check behind every redirect to a URL that came from outside."""
    if target and target.startswith(request.host_url):
        return target
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def redirect_back(fallback: str = "/"):
    """Back to the page the user came from, if it is one of ours."""
    return redirect(safe_target(request.referrer, fallback))


def init_app(app) -> None:
    csrf.init_app(app)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
