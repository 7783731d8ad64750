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

"""Paste factories, and the loading of the shipped pipelines.

``etc/server-migrations/api-paste.ini`` is the one definition of the
service's pipelines; :func:`loadapp` loads it for uWSGI,
server-migrations-api and the all-in-one. The factories are the same for a
host stack that takes the plugin as a filter.

Every factory reads the service's configuration from paste's
``global_conf`` (:func:`global_conf` puts a ``ConfigOpts`` the caller
already parsed there); a host stack's paste loader passes none, and the
factory then reads the config files of ``startup.config_files`` (or a
``config_file`` entry in its section).
"""

import os
import re
import sys

from keystonemiddleware import auth_token
from oslo_context import context
from oslo_log import log as logging
from oslo_middleware import request_id
from oslo_middleware import sizelimit
from paste import deploy as paste_deploy

from server_migrations.api import auth
from server_migrations.api import chunked
from server_migrations.api import faults
from server_migrations.api import microversion_middleware
from server_migrations.api import router
from server_migrations.api import versions
from server_migrations.compute import api as compute_api
from server_migrations.db import engine as db_engine
from server_migrations import exception
from server_migrations import policy
from server_migrations import startup

LOG = logging.getLogger(__name__)

# The key of global_conf holding the parsed configuration.
CONF_KEY = 'server_migrations_conf'
# The pipeline of api-paste.ini served for each [api] auth_strategy.
PIPELINES = {'keystone': 'server-migrations-api',
             'noauth2': 'server-migrations-api-noauth2'}
PASTE_INI = os.path.join('etc', 'server-migrations', 'api-paste.ini')


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


class _CarriedConf(str):
    """A ``ConfigOpts`` in paste's global_conf, whose values paste reads as
    text (it interpolates them): an empty string that holds ``conf``.
    """

    def __new__(cls, conf):
        carrier = super().__new__(cls, '')
        carrier.conf = conf
        return carrier


def global_conf(conf):
    """Paste's ``global_conf`` for loading a pipeline with ``conf``."""
    return {CONF_KEY: _CarriedConf(conf)}


def _conf(global_conf, local_conf, database=False):
    """The configuration a factory was given, or read from files.

    :param database: whether the factory reads the database (then a
        configuration read here also configures it).
    """
    carried = global_conf.get(CONF_KEY)
    if carried is not None:
        conf = getattr(carried, 'conf', None)
        if conf is None:
            # Paste copied the value as plain text: reading the config
            # files instead would silently serve another configuration.
            raise exception.ConfigurationError(
                reason='the configuration passed to the paste pipeline was '
                       'lost on the way (%s)' % CONF_KEY)
        return conf
    conf = startup.setup_from_files(config_file=local_conf.get('config_file'))
    if database:
        db_engine.configure(conf)
    return conf


def _compute_api(conf):
    policy.init(conf)
    api = compute_api.API(conf)
    api.warm()
    return api


def app_factory(global_conf, **local_conf):
    """paste.app_factory: the standalone API (servers and migrations)."""
    conf = _conf(global_conf, local_conf, database=True)
    return router.APIRouter(conf, _compute_api(conf))


def filter_factory(global_conf, **local_conf):
    """paste.filter_factory: answer our resources' paths, pass the rest.

    Which resources: ``[api] filter_resources``.
    """
    conf = _conf(global_conf, local_conf, database=True)
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
        conf = _conf(global_conf, local_conf)
        return lambda app: wrap(app, conf)
    return factory


server_header_filter_factory = _simple_filter(
    lambda app, conf: ServerHeader(app))
request_id_filter_factory = _simple_filter(
    lambda app, conf: ComputeRequestId(app))
microversion_filter_factory = _simple_filter(
    microversion_middleware.MicroversionMiddleware)
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


def _noauth2(app, conf):
    LOG.warning('the noauth2 filter is in the pipeline: tokens are trusted '
                'as written. Never use this in production.')
    return auth.NoAuthMiddleware(app)


noauth2_filter_factory = _simple_filter(_noauth2)


def paste_ini():
    """The shipped api-paste.ini: in the source tree, or where installed."""
    source = os.path.join(os.path.dirname(__file__), '..', '..', PASTE_INI)
    for path in (source, os.path.join(sys.prefix, PASTE_INI)):
        if os.path.exists(path):
            return os.path.abspath(path)
    raise exception.ConfigurationError(
        reason='%s is neither in the source tree nor under %s'
               % (PASTE_INI, sys.prefix))


def loadapp(conf, name=None):
    """The service's pipeline from api-paste.ini, with ``conf``.

    :param name: the pipeline; by default the one of ``[api]
        auth_strategy``. The database must already be configured.
    """
    name = name or PIPELINES[conf.api.auth_strategy]
    return paste_deploy.loadapp('config:%s' % paste_ini(), name=name,
                                global_conf=global_conf(conf))
