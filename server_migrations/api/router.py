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

"""The route table and the dispatcher that runs the common checks.

The order of the checks is part of the contract (clients see which error
wins): version, route, content type here; then the handler's own (see
``dispatch``): the action its body names (action routes), the project in
the URL, its version window, body/query schema, server lookup, policy.
"""

import re

import routes
import webob

from server_migrations.api import fault_responses
from server_migrations.api.handlers import identity
from server_migrations.api.handlers import instance_actions
from server_migrations.api.handlers import migrations
from server_migrations.api.handlers import server_migrations
from server_migrations.api.handlers import servers
from server_migrations.api import microversion_middleware
from server_migrations.api import request_data
from server_migrations.api import request_environ
from server_migrations import exception

# The whole HTTP surface: path -> method -> handler.
ROUTE_DECLARATIONS = {
    '/servers': {
        'GET': servers.list_servers,
    },
    '/servers/detail': {
        'GET': servers.list_servers_detail,
    },
    '/servers/{server_id}': {
        'GET': servers.show_server,
    },
    '/servers/{server_id}/action': {
        'POST': servers.post_server_action,
    },
    '/servers/{server_id}/migrations': {
        'GET': server_migrations.list_server_migrations,
    },
    '/servers/{server_id}/migrations/{migration_id}': {
        'GET': server_migrations.show_server_migration,
        'DELETE': server_migrations.delete_server_migration,
    },
    '/servers/{server_id}/migrations/{migration_id}/action': {
        'POST': server_migrations.post_migration_action,
    },
    '/os-migrations': {
        'GET': migrations.list_migrations,
    },
    '/servers/{server_id}/os-instance-actions': {
        'GET': instance_actions.list_instance_actions,
    },
    '/servers/{server_id}/os-instance-actions/{request_id}': {
        'GET': instance_actions.show_instance_action,
    },
    # Standalone only (no resource of the filter): see handlers/identity.
    '/users': {'GET': identity.refuse_identity_lookup},
    '/users/{name}': {'GET': identity.refuse_identity_lookup},
    '/projects': {'GET': identity.refuse_identity_lookup},
    '/projects/{name}': {'GET': identity.refuse_identity_lookup},
}

# What the plugin can answer inside a host stack ([api] filter_resources):
# resource -> (its paths in the table, the request paths it claims, with
# any method, so that an unrouted one is our JSON 404 rather than the
# host's).
_ANY_PREFIX = r'^(/v2\.1)?(/[0-9a-f-]+)?'
RESOURCES = {
    'server-migrations': (
        lambda path: path.startswith('/servers/{server_id}/migrations'),
        _ANY_PREFIX + r'/servers/[^/]+/migrations(/.*)?$'),
    'os-migrations': (
        lambda path: path.startswith('/os-migrations'),
        _ANY_PREFIX + r'/os-migrations(/.*)?$'),
    'os-instance-actions': (
        lambda path: path.startswith(
            '/servers/{server_id}/os-instance-actions'),
        _ANY_PREFIX + r'/servers/[^/]+/os-instance-actions(/.*)?$'),
}


def filter_routes(resources):
    """The route table and claimed-path pattern of ``resources``."""
    routes = {path: methods for path, methods in ROUTE_DECLARATIONS.items()
              if any(RESOURCES[r][0](path) for r in resources)}
    claimed = re.compile('|'.join('(?:%s)' % RESOURCES[r][1]
                                  for r in resources) or '(?!)')
    return routes, claimed


# Each path is also served below /v2.1 and a /{project_id} segment.
_PREFIXES = ('', '/{project_id}', '/v2.1', '/v2.1/{project_id}')
_PROJECT_ID = '[0-9a-f-]+'
_MEDIA_TYPES = ('text/plain', 'application/json',
                'application/vnd.openstack.compute+json')


def make_map(declarations):
    mapper = routes.Mapper()
    for prefix in _PREFIXES:
        for path, methods in declarations.items():
            # Routes stringifies extra values: keep the table's key.
            mapper.connect(prefix + path, declared_path=path,
                           requirements={'project_id': _PROJECT_ID})
    return mapper


def _check_content_type(req):
    value = req.headers.get('Content-Type', '').strip()
    if value and value.split(';')[0].strip().lower() not in _MEDIA_TYPES:
        raise exception.UnsupportedMediaType()


class APIRouter:
    """Dispatches to the handlers; in a host stack, a pass-through filter.

    :param application: the next application when used as a filter; only
        the paths of the resources in ``[api] filter_resources`` are
        answered and every other request goes to it untouched (body
        unread).
    """

    def __init__(self, conf, compute_api, application=None):
        self.conf = conf
        self.compute_api = compute_api
        self.application = application
        if application is None:
            self.routes, self.claimed = ROUTE_DECLARATIONS, None
        else:
            self.routes, self.claimed = filter_routes(
                conf.api.filter_resources)
        self.mapper = make_map(self.routes)
        # Routes compiles its regular expressions on the first match; do it
        # now rather than in the first request (about 10 ms).
        self.mapper.create_regs()
        # The version is parsed once: here only when no middleware further
        # out (the pipeline's ``microversion`` filter) did.
        self._versioned = microversion_middleware.MicroversionMiddleware(
            self._answer, conf)

    def __call__(self, environ, start_response):
        if (self.application is not None and
                not self.claimed.match(environ.get('PATH_INFO', ''))):
            return self.application(environ, start_response)
        if request_environ.parsed(environ):
            return self._answer(environ, start_response)
        return self._versioned(environ, start_response)

    def _answer(self, environ, start_response):
        return self.handle(webob.Request(environ))(environ, start_response)

    def handle(self, req):
        try:
            return self._dispatch(req)
        except Exception as exc:
            return fault_responses.from_exception(exc)

    def _dispatch(self, req):
        request_environ.requested(req.environ)
        if not fault_responses.path_is_utf8(req.environ):
            # Also checked here for host stacks without our FaultWrapper.
            raise exception.NotFound()
        match = self.mapper.match(req.path_info)
        if match is None:
            raise exception.NotFound()
        handler = self.routes[match.pop('declared_path')].get(req.method)
        if handler is None:
            # Never 405: an unrouted method is simply not found.
            raise exception.NotFound()
        req.urlvars = match
        # Read once here, so that no handler meets an undecodable one.
        request_data.query(req)
        _check_content_type(req)
        req.environ[request_environ.COMPUTE_API_KEY] = self.compute_api
        req.environ[request_environ.CONF_KEY] = self.conf
        return handler(req)
