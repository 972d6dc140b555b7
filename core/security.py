"""HTTP security headers. The CSP allows no inline script: pages load JS from our static
files only."""
import unicodedata
from urllib.parse import unquote, urlsplit

from flask import redirect, request
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# Characters a browser reads as a slash or drops from a URL, or that NFKC turns into one
_SLASHES = frozenset("\\\u2044\u2215\u29f5\u29f8\u29f9\ufe68\uff0f\uff3c")


def _on_this_site(url: str) -> bool:
    """Whether a browser would read `url` as a path of this site or a URL of this host."""
    if any(c in _SLASHES for c in url):
        return False
    if url.startswith("/"):
        return not url.startswith("//")
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) \
        and parts.netloc.lower() == request.host.lower()


def safe_target(target: str | None, fallback: str) -> str:
    """`target` when it stays on this site (a local path, or an http(s) URL of this host),
    else `fallback`: the one check behind every redirect to a URL that came from outside.
    Refused: control, format and space characters anywhere (browsers drop tabs and
    newlines, so "/<tab>/evil" is "//evil", and a newline would break the header),
    backslashes and slash lookalikes, and whatever reads as another host once
    percent-decoded or NFKC-normalised ("/%2F%2Fevil", a fullwidth solidus)."""
    if not target or not isinstance(target, str) or len(target) > 2048:
        return fallback
    if any(unicodedata.category(c)[0] in "CZ" for c in target):
        return fallback
    decoded = unquote(target)
    for url in (target, decoded, unicodedata.normalize("NFKC", target),
                unicodedata.normalize("NFKC", decoded)):
        # what a lenient reader makes of it: the invisible characters dropped
        url = "".join(c for c in url if unicodedata.category(c)[0] not in "CZ")
        if not _on_this_site(url):
            return fallback
    return target


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
