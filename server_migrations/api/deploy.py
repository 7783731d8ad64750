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

"""Paste factories and the in-code pipeline of the standalone service.

``loadapp(conf)`` builds what uWSGI and server-migrations-api serve; the
factories below are the same pieces for ``etc/server-migrations/
api-paste.ini`` and for host stacks that take the plugin as a filter.
"""

import os
import re

from keystonemiddleware import auth_token
from oslo_context import context
from oslo_log import log as logging
from oslo_middleware import request_id
from oslo_middleware import sizelimit

from server_migrations.api import auth
from server_migrations.api import chunked
from server_migrations.api import faults
from server_migrations.api import router
from server_migrations.api import versions
from server_migrations.compute import api as compute_api
from server_migrations import exception
from server_migrations import policy

LOG = logging.getLogger(__name__)

CONFIG_DIR_ENV = 'OS_SERVER_MIGRATIONS_CONFIG_DIR'
CONFIG_FILES_ENV = 'OS_SERVER_MIGRATIONS_CONFIG_FILES'
_CONF = None


class ComputeRequestId(request_id.RequestId):
    """Request ids also in x-compute-request-id, as compute clients read.

    oslo.middleware's filter, its names and its format, in plain WSGI: its
    own ``__call__`` builds a webob Request and Response around every
    request only to add two headers.
    """

    compat_headers = ['x-compute-request-id']
    _GLOBAL_ID = re.compile(request_id.ID_FORMAT)
    _INBOUND = 'HTTP_' + request_id.INBOUND_HEADER.upper().replace('-', '_')

    def __call__(self, environ, start_response):
        global_id = environ.get(self._INBOUND, '')
        if self._GLOBAL_ID.match(global_id):
            environ[request_id.GLOBAL_REQ_ID] = global_id
        req_id = context.generate_request_id()
        environ[request_id.ENV_REQUEST_ID] = req_id
        names = [request_id.HTTP_RESP_HEADER_REQUEST_ID] + self.compat_headers

        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _value in headers}
            headers.extend((name, req_id) for name in names
                           if name not in present)
            return start_response(status, headers, exc_info)
        return self.application(environ, start)


SERVER_NAME = 'server-migrations'


class ServerHeader:
    """Names the service, and nothing about what runs it, in ``Server``.

    WSGI servers add their own ``Server`` header only when the application
    set none; the stdlib one names the Python version, a gift to anyone
    looking for a known bug.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            if not any(name.lower() == 'server' for name, _v in headers):
                headers.append(('Server', SERVER_NAME))
            return start_response(status, headers, exc_info)
        return self.application(environ, start)


def use_conf(conf):
    """Make the paste factories of this process use ``conf``."""
    global _CONF
    _CONF = conf


def reset():
    """Forget the configuration the paste factories use (tests)."""
    global _CONF
    _CONF = None


def config_files(local_conf=None):
    """Config files from the paste section or the environment."""
    local_conf = local_conf or {}
    if local_conf.get('config_file'):
        return [f.strip() for f in local_conf['config_file'].split(',')]
    conf_dir = os.environ.get(CONFIG_DIR_ENV, '/etc/server-migrations')
    names = os.environ.get(CONFIG_FILES_ENV, 'server-migrations.conf')
    paths = [os.path.join(conf_dir, n.strip())
             for n in names.split(';') if n.strip()]
    return [p for p in paths if os.path.exists(p)]


def _conf(local_conf):
    global _CONF
    if _CONF is None:
        # Imported here: only a process without a configured ConfigOpts
        # (a paste-only host stack) builds one from files.
        from server_migrations.cmd import common
        from server_migrations.db import engine as db_engine
        argv = []
        for path in config_files(local_conf):
            argv += ['--config-file', path]
        conf = common.setup(argv)
        db_engine.configure(conf)
        _CONF = conf
    return _CONF


def _compute_api(conf):
    policy.init(conf)
    api = compute_api.API(conf)
    api.warm()
    return api


def app_factory(global_conf, **local_conf):
    """paste.app_factory: the standalone API (servers and migrations)."""
    conf = _conf(local_conf)
    return router.APIRouter(conf, _compute_api(conf))


def filter_factory(global_conf, **local_conf):
    """paste.filter_factory: answer our resources' paths, pass the rest.

    Which resources: ``[api] filter_resources``.
    """
    conf = _conf(local_conf)
    api = _compute_api(conf)

    def _filter(app):
        after = auth.auth_downstream(app)
        if after is not None:
            raise exception.ConfigurationError(reason=(
                'the server_migrations filter comes before %s in the paste '
                'pipeline, so it would act on identity headers nobody has '
                'checked; put it after the auth filters (authtoken and the '
                'host\'s context filter)' % type(after).__name__))
        return router.APIRouter(conf, api, application=app)
    return _filter


def _simple_filter(wrap):
    def factory(global_conf, **local_conf):
        conf = _conf(local_conf)
        return lambda app: wrap(app, conf)
    return factory


server_header_filter_factory = _simple_filter(
    lambda app, conf: ServerHeader(app))
request_id_filter_factory = _simple_filter(
    lambda app, conf: ComputeRequestId(app))
faultwrap_filter_factory = _simple_filter(faults.FaultWrapper)
chunked_filter_factory = _simple_filter(chunked.ChunkedInput)
sizelimit_filter_factory = _simple_filter(
    lambda app, conf: sizelimit.RequestBodySizeLimiter(app, conf))
versions_filter_factory = _simple_filter(versions.VersionsFilter)
authtoken_filter_factory = _simple_filter(
    lambda app, conf: auth_token.AuthProtocol(
        app, {'oslo_config_config': conf}))
keystonecontext_filter_factory = _simple_filter(
    lambda app, conf: auth.KeystoneContext(app))
noauth2_filter_factory = _simple_filter(
    lambda app, conf: auth.NoAuthMiddleware(app))


def loadapp(conf):
    """The standalone service's pipeline, per ``[api] auth_strategy``.

    server header -> request id -> faults -> chunked input -> size limit
    -> version documents -> auth -> router; the database must already be
    configured.
    """
    app = router.APIRouter(conf, _compute_api(conf))
    if conf.api.auth_strategy == 'noauth2':
        LOG.warning('[api] auth_strategy is noauth2: tokens are trusted as '
                    'written. Never use this in production.')
        app = auth.NoAuthMiddleware(app)
    else:
        app = auth.KeystoneContext(app)
        app = auth_token.AuthProtocol(app, {'oslo_config_config': conf})
    app = versions.VersionsFilter(app, conf)
    app = sizelimit.RequestBodySizeLimiter(app, conf)
    app = chunked.ChunkedInput(app, conf)
    app = faults.FaultWrapper(app, conf)
    return ServerHeader(ComputeRequestId(app))
