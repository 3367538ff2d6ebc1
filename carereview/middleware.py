"""The Content-Security-Policy, and signing in to browse when `CAREREVIEW_REQUIRE_LOGIN`
asks for it."""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django_htmx.http import HttpResponseClientRedirect


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with one allowance in admin only: the autocomplete
    widgets Django admin ships (select2) set style attributes. carereview's own pages
    allow no inline style at all, and no page allows inline script."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.namespace == "admin":
            parts.update = {**(parts.update or {}), "style-src-attr": [UNSAFE_INLINE]}
        return parts


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's login-required middleware, switched by `CAREREVIEW_REQUIRE_LOGIN`.

    The sign-in page and admin's own views stay reachable (they are marked
    `login_not_required`). An htmx request is sent to sign in with a whole-page
    redirect, not a sign-in form swapped into a fragment."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.CAREREVIEW_REQUIRE_LOGIN:
            return None
        # The API answers for itself: a token, or a 401 problem rather than a sign-in page.
        match = getattr(request, "resolver_match", None)
        if match is not None and "api" in match.namespaces:
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request, view_func):
        response = super().handle_no_permission(request, view_func)
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(response.url)
        return response
