"""HTTP security headers. The CSP allows no inline script: pages load JS from our static
files only."""
from flask import redirect, request
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

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
    proxies = int(app.config.get("ERP_TRUSTED_PROXIES") or 0)
    if proxies:
        # request.remote_addr (login limits), the scheme and the host become the client's,
        # as the last `proxies` hops report them; headers from further out are not believed
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=proxies)
    hsts = f"max-age={int(app.config['ERP_HSTS_SECONDS'])}" if app.config.get("ERP_HTTPS") \
        else None

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        return response
