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

"""The microversion middleware: one parse per request, headers stamped."""

import fixtures
import webob

from server_migrations.api import microversion
from server_migrations.api import microversion_middleware as middleware
from server_migrations.api import request_environ
from server_migrations import exception
from server_migrations.tests import base


def _app(status, seen=None):
    """An application that answers ``status`` and notes its environ."""
    def app(environ, start_response):
        if seen is not None:
            seen.append(dict(environ))
        start_response(status, [('Content-Type', 'application/json')])
        return [b'{}']
    return app


class MicroversionMiddlewareTestCase(base.TestCase):

    def _get(self, app, path='/v2.1/servers', version='compute 2.80'):
        headers = {'OpenStack-API-Version': version} if version else {}
        req = webob.Request.blank(path, headers=headers)
        return req.get_response(middleware.MicroversionMiddleware(
            app, self.conf))

    def test_successes_and_faults_carry_the_version(self):
        for status in ('200 OK', '202 Accepted', '401 Unauthorized',
                       '404 Not Found', '500 Internal Server Error'):
            resp = self._get(_app(status))
            self.assertEqual('compute 2.80',
                             resp.headers['OpenStack-API-Version'], status)
            self.assertEqual('2.80',
                             resp.headers['X-OpenStack-Nova-API-Version'])
            self.assertEqual(['OpenStack-API-Version',
                              'X-OpenStack-Nova-API-Version'],
                             resp.headers.getall('Vary'))

    def test_the_version_is_left_for_the_handlers(self):
        seen = []
        self._get(_app('200 OK', seen))
        self.assertEqual((2, 80), tuple(request_environ.requested(seen[0])))
        self.assertEqual((2, 80),
                         tuple(seen[0][microversion.ENVIRON_KEY]))

    def test_no_header_is_the_minimum(self):
        resp = self._get(_app('200 OK'), version=None)
        self.assertEqual('compute 2.1', resp.headers['OpenStack-API-Version'])

    def test_root_document_is_answered_at_no_version(self):
        resp = self._get(_app('200 OK'), path='/')
        self.assertNotIn('OpenStack-API-Version', resp.headers)
        resp = self._get(_app('404 Not Found'), path='/')
        self.assertEqual('compute 2.80', resp.headers['OpenStack-API-Version'])

    def test_malformed_is_kept_for_its_place_and_echoed_nowhere(self):
        seen = []
        resp = self._get(_app('400 Bad Request', seen), version='compute 2.x')
        self.assertNotIn('OpenStack-API-Version', resp.headers)
        self.assertNotIn('Vary', resp.headers)
        self.assertNotIn(microversion.ENVIRON_KEY, seen[0])
        self.assertRaises(exception.InvalidAPIVersionString,
                          request_environ.requested, seen[0])

    def test_out_of_range_is_echoed_on_its_406_only(self):
        seen = []
        resp = self._get(_app('406 Not Acceptable', seen),
                         version='compute 2.999')
        self.assertEqual('compute 2.999',
                         resp.headers['OpenStack-API-Version'])
        exc = self.assertRaises(exception.VersionNotAcceptable,
                                request_environ.requested, seen[0])
        self.assertEqual((2, 999), tuple(exc.version))
        for status in ('401 Unauthorized', '413 Request Entity Too Large'):
            resp = self._get(_app(status), version='compute 2.999')
            self.assertNotIn('OpenStack-API-Version', resp.headers)

    def test_inner_instances_find_the_request_parsed(self):
        inner = middleware.MicroversionMiddleware(_app('200 OK'), self.conf)
        calls = []
        real = microversion.requested_version

        def counting(headers, conf):
            calls.append(1)
            return real(headers, conf)
        self.useFixture(fixtures.MockPatchObject(
            microversion, 'requested_version', counting))
        resp = self._get(inner)
        self.assertEqual(1, len(calls))
        self.assertEqual(['compute 2.80'],
                         resp.headers.getall('OpenStack-API-Version'))

    def test_an_answer_already_stamped_is_left_alone(self):
        def stamped(environ, start_response):
            start_response('200 OK', [('OpenStack-API-Version',
                                       'compute 2.1')])
            return [b'']
        resp = self._get(stamped)
        self.assertEqual(['compute 2.1'],
                         resp.headers.getall('OpenStack-API-Version'))
