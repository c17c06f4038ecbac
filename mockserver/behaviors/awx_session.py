"""AWX session login and Django's CSRF rules, as AWX's official client (awxkit) meets them.

awxkit logs in with a username and password this way (``awxkit/api/client.py``):

1. ``GET /api/``: the answer sets the ``csrftoken`` cookie (AWX's ApiRootView is
   ``ensure_csrf_cookie``);
2. ``POST /api/login/`` with a form body (``username``, ``password``, ``next``) and the
   cookie's value in ``X-CSRFToken``: 302 to ``next``, with the session cookie and
   ``X-API-Session-Cookie-Name`` naming it;
3. every later request carries the session cookie, and each POST, PUT, PATCH or DELETE
   the ``csrftoken`` value in ``X-CSRFToken`` (DRF's SessionAuthentication enforces it).

The checks and words are Django 4.2's (``django/middleware/csrf.py``): a token is 32
characters, or 64 when masked (a mask, then the secret shifted by it).
"""

from __future__ import annotations

import secrets
import string
import time

from ..messages import ApiError
from ..validation import Violation

SESSION_COOKIE = "awx_sessionid"  # AWX's SESSION_COOKIE_NAME
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"
CSRF_COOKIE_AGE = 31449600  # Django's CSRF_COOKIE_AGE: a year
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_TOKEN_CHARS = string.ascii_letters + string.digits  # Django's CSRF_ALLOWED_CHARS
_SESSION_CHARS = string.ascii_lowercase + string.digits  # Django's session keys
SECRET_LENGTH = 32

NO_COOKIE = "CSRF Failed: CSRF cookie not set."
NO_TOKEN = "CSRF Failed: CSRF token missing."
WRONG_LENGTH = "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header has incorrect length."
WRONG_TOKEN = "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."


def new_csrf_token() -> str:
    """A CSRF secret as Django keeps it in the cookie: 32 letters and digits."""
    return "".join(secrets.choice(_TOKEN_CHARS) for _ in range(SECRET_LENGTH))


def new_session_key() -> str:
    """A session key as Django makes it: 32 lower-case letters and digits."""
    return "".join(secrets.choice(_SESSION_CHARS) for _ in range(32))


def new_token() -> str:
    """An OAuth2 access token as django-oauth-toolkit makes one (oauthlib: 30 letters and digits)."""
    return "".join(secrets.choice(_TOKEN_CHARS) for _ in range(30))


def _unmasked(token: str) -> str | None:
    """The secret a 32- or 64-character token carries (None: not a token Django reads)."""
    if any(c not in _TOKEN_CHARS for c in token):
        return None
    if len(token) == SECRET_LENGTH:
        return token
    if len(token) == 2 * SECRET_LENGTH:
        mask, cipher = token[:SECRET_LENGTH], token[SECRET_LENGTH:]
        return "".join(_TOKEN_CHARS[(_TOKEN_CHARS.index(c) - _TOKEN_CHARS.index(m)) % len(_TOKEN_CHARS)]
                       for m, c in zip(mask, cipher))
    return None


def csrf_problem(cookies: dict[str, str], sent: str | None) -> str | None:
    """Why Django would refuse this request's CSRF token (None: it is accepted).

    `sent` is the ``X-CSRFToken`` header (or the login form's ``csrfmiddlewaretoken``).
    """
    cookie = cookies.get(CSRF_COOKIE)
    secret = _unmasked(cookie) if cookie else None
    if secret is None:
        return NO_COOKIE
    if not sent:
        return NO_TOKEN
    if len(sent) not in (SECRET_LENGTH, 2 * SECRET_LENGTH):
        return WRONG_LENGTH
    return None if _unmasked(sent) == secret else WRONG_TOKEN


def cookie(name: str, value: str, max_age: int, *, http_only: bool = False) -> str:
    """A Set-Cookie value as Django writes it (Path=/, SameSite=Lax)."""
    expires = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + max_age))
    return (f"{name}={value}; expires={expires}; {'HttpOnly; ' if http_only else ''}"
            f"Max-Age={max_age}; Path=/; SameSite=Lax")


def csrf_cookie(cookies: dict[str, str]) -> str:
    """The ``csrftoken`` Set-Cookie an ``ensure_csrf_cookie`` view sends: the request's own
    token renewed, or a new one."""
    present = cookies.get(CSRF_COOKIE)
    token = present if present and _unmasked(present) is not None else new_csrf_token()
    return cookie(CSRF_COOKIE, token, CSRF_COOKIE_AGE)


def safe_next(target: str | None) -> str:
    """Where a login redirects: `next` when it is a path on this server, else ``/api/``
    (Django's ``url_has_allowed_host_and_scheme`` keeps a client on the same host)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and all(" " < c < "\x7f" for c in target):
        return target
    return "/api/"


def refuse_csrf(behavior, problem: str) -> ApiError:
    """DRF's 403 for a refused CSRF token."""
    return behavior.error(403, problem, violations=[Violation("header", "/x-csrftoken", problem, "csrf")])
