"""What every template may need besides Django's own context."""


def csp_nonce(request) -> dict:
    """`csp_nonce` for templates, by the name Django 6's own CSP support and
    django-htmx's `{% htmx_script %}` use."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
