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

"""The one fault path: names, codes, bodies and the last-resort wrapper."""

import fixtures
from oslo_db import exception as db_exc
from oslo_serialization import jsonutils
from sqlalchemy import exc as sa_exc
import webob
import webob.dec
import webob.exc

from server_migrations.api import fault_responses
from server_migrations.api import faults
from server_migrations import exception
from server_migrations.tests import base


class FaultResponseTestCase(base.TestCase):

    def test_names_by_code(self):
        for code, name in ((400, 'badRequest'), (401, 'unauthorized'),
                           (403, 'forbidden'), (404, 'itemNotFound'),
                           (409, 'conflictingRequest'), (413, 'overLimit'),
                           (415, 'badMediaType'), (503, 'serviceUnavailable'),
                           (406, 'computeFault'), (500, 'computeFault')):
            self.assertEqual(name, fault_responses.fault_name(code))

    def test_body_and_content_type(self):
        response = fault_responses.fault_response(409, 'Instance x is locked')
        self.assertEqual(409, response.status_code)
        self.assertEqual('application/json; charset=UTF-8',
                         response.headers['Content-Type'])
        self.assertEqual({'conflictingRequest': {
            'code': 409, 'message': 'Instance x is locked'}},
            jsonutils.loads(response.body))

    def test_domain_exceptions_use_their_code(self):
        for exc, code in (
                (exception.InstanceNotFound(instance_id='x'), 404),
                (exception.InvalidMigrationState(
                    migration_id=1, instance_uuid='s', state='queued',
                    method='force complete'), 400),
                (exception.InstanceIsLocked(instance_uuid='s'), 409),
                (exception.PolicyNotAuthorized(action='r'), 403),
                (exception.MessagingUnavailable(), 503),
                (exception.UnsupportedMediaType(), 415),
                (exception.VersionNotAcceptable(
                    version='2.0', min_version='2.1', max_version='2.104'),
                 406)):
            response = fault_responses.from_exception(exc)
            self.assertEqual(code, response.status_code)
            body = jsonutils.loads(response.body)
            self.assertEqual(exc.format_message(),
                             body[fault_responses.fault_name(code)]['message'])

    def test_unexpected_error_is_generic_and_logged(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='server_migrations.api.fault_responses'))
        try:
            {}['secret_column']
        except KeyError as exc:
            response = fault_responses.from_exception(exc)
        self.assertEqual(500, response.status_code)
        body = response.body.decode()
        self.assertEqual({'computeFault': {
            'code': 500, 'message': fault_responses.GENERIC_500}},
            jsonutils.loads(body))
        self.assertNotIn('KeyError', body)
        self.assertNotIn('secret_column', body)
        self.assertIn('Traceback', logger.output)
        self.assertIn('secret_column', logger.output)

    def test_lost_database_is_503(self):
        response = fault_responses.from_exception(
            db_exc.DBConnectionError('SELECT * FROM secret'))
        self.assertEqual(503, response.status_code)
        self.assertNotIn(b'SELECT', response.body)
        self.assertIn(b'serviceUnavailable', response.body)

    def test_connection_closed_while_opening_is_503(self):
        # What psycopg2 raises when the server closes a new connection
        # (restarting); oslo.db leaves it as SQLAlchemy's error.
        closed = sa_exc.OperationalError(
            None, None, Exception('server closed the connection '
                                  'unexpectedly'))
        response = fault_responses.from_exception(closed)
        self.assertEqual(503, response.status_code)
        self.assertIn(b'serviceUnavailable', response.body)
        invalidated = sa_exc.DBAPIError(
            'SELECT 1', {}, Exception('gone'), connection_invalidated=True)
        self.assertEqual(
            503, fault_responses.from_exception(invalidated).status_code)

    def test_statement_errors_stay_500(self):
        # SQLite calls a missing table "operational"; it is not an outage.
        missing = sa_exc.OperationalError(
            'SELECT * FROM instances', {}, Exception('no such table'))
        response = fault_responses.from_exception(missing)
        self.assertEqual(500, response.status_code)
        self.assertNotIn(b'instances', response.body)

    def test_webob_errors(self):
        response = fault_responses.from_exception(
            webob.exc.HTTPRequestEntityTooLarge())
        self.assertEqual(413, response.status_code)
        self.assertIn(b'overLimit', response.body)


class FaultWrapperTestCase(base.TestCase):

    def _wrap(self, app):
        return faults.FaultWrapper(app, self.conf)

    def test_exception_becomes_a_fault_with_version_headers(self):
        def broken(environ, start_response):
            raise RuntimeError('boom')
        req = webob.Request.blank(
            '/', headers={'OpenStack-API-Version': 'compute 2.80'})
        response = req.get_response(self._wrap(broken))
        self.assertEqual(500, response.status_code)
        self.assertEqual('compute 2.80',
                         response.headers['OpenStack-API-Version'])
        self.assertNotIn(b'boom', response.body)

    def test_html_error_is_rendered_as_json(self):
        @webob.dec.wsgify
        def html(req):
            raise webob.exc.HTTPRequestEntityTooLarge()
        response = webob.Request.blank('/').get_response(self._wrap(html))
        self.assertEqual(413, response.status_code)
        self.assertEqual({'overLimit': {'code': 413,
                                        'message': 'Request is too large.'}},
                         jsonutils.loads(response.body))

    def test_our_faults_and_successes_pass_unchanged(self):
        fault = fault_responses.fault_response(
            404, 'Instance x could not be found.')
        ok = webob.Response(json_body={'a': 1})
        for response in (fault, ok):
            app = self._wrap(lambda e, s, r=response: r(e, s))
            got = webob.Request.blank('/').get_response(app)
            self.assertEqual(response.body, got.body)

    def test_foreign_json_error_is_rewritten(self):
        foreign = webob.Response(status=401, json_body={'error': {
            'code': 401, 'title': 'Unauthorized', 'message': 'x'}})
        foreign.headers['WWW-Authenticate'] = 'Keystone uri="http://k"'
        app = self._wrap(lambda e, s: foreign(e, s))
        got = webob.Request.blank('/').get_response(app)
        self.assertEqual(401, got.status_code)
        self.assertIn('unauthorized', jsonutils.loads(got.body))
        self.assertEqual('Keystone uri="http://k"',
                         got.headers['WWW-Authenticate'])

    def test_answer_started_while_iterated(self):
        # start_response may come from inside the body's iteration (PEP
        # 3333): an error is still rendered, a success still passes.
        def lazy(status, body):
            def app(environ, start_response):
                def chunks():
                    start_response(status, [('Content-Type', 'text/html')])
                    yield body
                return chunks()
            return app
        got = webob.Request.blank('/').get_response(
            self._wrap(lazy('404 Not Found', b'<html>gone</html>')))
        self.assertEqual(404, got.status_code)
        self.assertIn('itemNotFound', jsonutils.loads(got.body))
        got = webob.Request.blank('/').get_response(
            self._wrap(lazy('200 OK', b'fine')))
        self.assertEqual((200, b'fine'), (got.status_code, got.body))

    def test_success_is_not_rebuilt(self):
        body = iter([b'streamed'])

        def app(environ, start_response):
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return body
        started = []
        answer = self._wrap(app)(
            webob.Request.blank('/').environ,
            lambda status, headers, exc_info=None: started.append(status))
        # The application's own iterable, untouched.
        self.assertIs(body, answer)
        self.assertEqual(['200 OK'], started)
