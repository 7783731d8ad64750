# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Who is asking: keystone context middleware and the noauth2 dev filter.

Identity headers (X-User-Id, X-Roles...) are only believed when
keystonemiddleware's authtoken has confirmed the request's token (its
``keystone.token_auth`` in the environ holds the user); anyone can write
the headers themselves. Without that, and without a context built by our
own noauth2 filter, the answer is 401.
"""

import re

from oslo_log import log as logging

from server_migrations.api import fault_responses
from server_migrations.api import request_environ
from server_migrations import context as sm_context
from server_migrations import exception
from server_migrations import policy

LOG = logging.getLogger(__name__)

# noauth2: roles given to a token without any.
ADMIN_ROLES = ('admin', 'manager', 'member', 'reader')
UNAUTHENTICATED = 'The request you have made requires authentication.'
USER_ROLES = ('member', 'reader')
# Set by keystonemiddleware's authtoken: the validated token's auth plugin.
TOKEN_AUTH_KEY = 'keystone.token_auth'
# Class names of middleware that authenticates (keystonemiddleware's
# AuthProtocol, our filters, a host's keystone context filter).
_AUTH_NAME = re.compile(r'auth|keystone', re.IGNORECASE)
_NEXT_APP_ATTRIBUTES = ('_app', 'application', 'app')


def token_confirmed(environ):
    """Whether authtoken validated a user token for this request."""
    token_auth = environ.get(TOKEN_AUTH_KEY)
    return bool(getattr(token_auth, 'has_user_token', False))


def confirmed_context(environ):
    """The context of a request whose token authtoken confirmed.

    :raises NotAuthenticated: no confirmed token (401), whatever identity
        headers the request carries.
    """
    if not token_confirmed(environ):
        raise exception.NotAuthenticated(UNAUTHENTICATED)
    return context_from_environ(environ)


def auth_downstream(application, limit=64):
    """The first authenticating middleware among the apps ``application``
    passes requests to, or None.

    Follows the usual attributes middleware keep their next application
    in; used at start-up to refuse a pipeline that authenticates only after
    the plugin has acted.
    """
    node, seen = application, set()
    for _ in range(limit):
        if node is None or id(node) in seen:
            return None
        seen.add(id(node))
        if _AUTH_NAME.search(type(node).__name__):
            return node
        node = next((getattr(node, name) for name in _NEXT_APP_ATTRIBUTES
                     if getattr(node, name, None) is not None), None)
    return None


def context_from_environ(environ):
    """A RequestContext from keystonemiddleware's identity headers.

    ``is_admin`` is the verdict of the ``context_is_admin`` rule, so an
    operator decides in policy who counts as an administrator.

    :raises NotAuthenticated: no user id (401).
    """
    # Every request builds its context here, once: the place to have the
    # policy files looked at once per request.
    policy.new_request()
    context = sm_context.RequestContext.from_environ(environ)
    if not context.user_id:
        raise exception.NotAuthenticated(UNAUTHENTICATED)
    context.is_admin = policy.authorize(
        context, 'context_is_admin',
        {'project_id': context.project_id, 'user_id': context.user_id},
        fatal=False)
    return context


class KeystoneContext:
    """Builds the context after keystonemiddleware's authtoken."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        try:
            environ[request_environ.CONTEXT_KEY] = confirmed_context(environ)
        except exception.ServerMigrationsException as exc:
            return fault_responses.from_exception(exc)(environ, start_response)
        return self.application(environ, start_response)


# Logged when noauth2 is in use, so that a developer knows what to send.
NOAUTH_TOKEN_HINT = (
    'Development auth (noauth2): send "X-Auth-Token: <user_id>:<project_id>'
    '[:<role>,...]", e.g. "admin:demo" (the user "admin" without roles is '
    'an administrator). Never use noauth2 in production.')


def parse_noauth_token(token):
    """``user:project[:role,role]`` -> (user, project, roles), or None."""
    parts = (token or '').split(':')
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        return None
    user_id, project_id = parts[0], parts[1]
    if len(parts) == 3:
        roles = tuple(r.strip() for r in parts[2].split(',') if r.strip())
        if not roles:
            return None
    else:
        roles = ADMIN_ROLES if user_id == 'admin' else USER_ROLES
    return user_id, project_id, roles


class NoAuthMiddleware:
    """Development and tests only: trusts the token as it is written.

    ``X-Auth-Token: <user_id>:<project_id>[:<role>,<role>...]``; without
    roles the user ``admin`` is an admin and anyone else a member.
    """

    def __init__(self, application):
        self.application = application
        self._hinted = False

    def __call__(self, environ, start_response):
        parsed = parse_noauth_token(environ.get('HTTP_X_AUTH_TOKEN'))
        if parsed is None:
            if not self._hinted:
                self._hinted = True
                LOG.warning('Refused a malformed token. %s',
                            NOAUTH_TOKEN_HINT)
            return fault_responses.from_exception(exception.NotAuthenticated(
                UNAUTHENTICATED))(environ, start_response)
        user_id, project_id, roles = parsed
        # The same headers keystonemiddleware sets, so that one code path
        # builds the context.
        environ['HTTP_X_USER_ID'] = user_id
        environ['HTTP_X_PROJECT_ID'] = project_id
        environ['HTTP_X_ROLES'] = ','.join(roles)
        environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        try:
            environ[request_environ.CONTEXT_KEY] = context_from_environ(
                environ)
        except exception.ServerMigrationsException as exc:
            return fault_responses.from_exception(exc)(environ, start_response)
        return self.application(environ, start_response)
