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

"""Version documents at /, /v2.1 and /v2.1/ (unauthenticated discovery)."""

import webob.dec

from server_migrations.api import fault_responses
from server_migrations.api import microversion
from server_migrations.api import microversion_middleware
from server_migrations.api import request_environ
from server_migrations.api import responses
from server_migrations import exception

UPDATED = '2013-07-23T11:33:21Z'
_DOCUMENT_PATHS = ('', '/', '/v2.1', '/v2.1/')


def version_v21(conf, base_url):
    return {
        'id': 'v2.1',
        'status': 'CURRENT',
        'version': conf.api.max_microversion,
        'min_version': microversion.MIN_VERSION,
        'updated': UPDATED,
        'links': [{'rel': 'self', 'href': base_url + '/v2.1/'},
                  {'rel': 'describedby', 'type': 'text/html',
                   'href': 'http://docs.openstack.org/'}],
        'media-types': [{
            'base': 'application/json',
            'type': 'application/vnd.openstack.compute+json;version=2.1'}],
    }


class VersionsFilter:
    """Answers discovery before authentication; passes the rest on.

    openstacksdk, the openstack CLI and novaclient read the version range
    here without a token; without it they cannot pick a microversion.
    """

    def __init__(self, application, conf):
        self.application = application
        self.conf = conf
        # The version documents are answered at the request's version.
        self._documents = microversion_middleware.MicroversionMiddleware(
            self._document, conf)

    def __call__(self, environ, start_response):
        # Every other request goes on untouched, without a webob round trip.
        if environ.get('PATH_INFO', '') not in _DOCUMENT_PATHS:
            return self.application(environ, start_response)
        if request_environ.parsed(environ):
            return self._document(environ, start_response)
        return self._documents(environ, start_response)

    @webob.dec.wsgify
    def _document(self, req):
        path = req.path_info
        if req.method not in ('GET', 'HEAD'):
            return fault_responses.from_exception(exception.NotFound())
        base = req.application_url
        if path in ('', '/'):
            # The root document reads no version (nor carries its headers).
            document = version_v21(self.conf, base)
            del document['media-types']
            document['links'] = document['links'][:1]
            return responses.json_response({'versions': [document]})
        try:
            request_environ.requested(req.environ)
        except exception.ServerMigrationsException as exc:
            return fault_responses.from_exception(exc)
        return responses.json_response(
            {'version': version_v21(self.conf, base)})
