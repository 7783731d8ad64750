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

"""Errors deep in the stack: what the client sees and what is logged."""

import io
import os
import sqlite3

import fixtures
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import test_fixtures
import webob
import webob.exc

from server_migrations.api import deploy
from server_migrations.db import engine as db_engine
from server_migrations.db import models
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import stack


class ErrorsTestCase(stack.APITestCase):

    def setUp(self):
        super().setUp()
        self.server = sm_fixtures.make_instance(self.context)
        self.path = '/v2.1/servers/%s/migrations' % self.server['uuid']

    def test_unexpected_error_is_a_generic_500(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='server_migrations.api.fault_responses'))
        self.useFixture(fixtures.MockPatch(
            'server_migrations.db.migrations.server_migrations_in_progress',
            side_effect=AttributeError("'NoneType' has no 'secret'")))
        resp = self.request('GET', self.path)
        self.assertEqual(500, resp.status_code)
        self.assertEqual({'computeFault': {
            'code': 500,
            'message': 'Unexpected API Error. Please contact the '
                       'administrator.'}}, resp.json_body)
        self.assertEqual('compute 2.80',
                         resp.headers['OpenStack-API-Version'])
        self.assertNotIn(b'secret', resp.body)
        self.assertNotIn(b'AttributeError', resp.body)
        self.assertIn('Traceback', logger.output)
        self.assertIn('secret', logger.output)

    def test_lost_database_is_503(self):
        self.useFixture(fixtures.MockPatch(
            'server_migrations.db.reads.Read.all',
            side_effect=db_exc.DBConnectionError(
                '(pymysql) Lost connection: SELECT instances.uuid')))
        resp = self.request('GET', self.path)
        self.assertEqual(503, resp.status_code)
        self.assertEqual(503, resp.json_body['serviceUnavailable']['code'])
        self.assertNotIn(b'SELECT', resp.body)

    def test_body_that_is_not_utf8(self):
        resp = self.request('POST', self.path + '/1/action',
                            body=b'\xff\xfe')
        self.assertEqual(400, resp.status_code)
        self.assertEqual('Malformed request body',
                         resp.json_body['badRequest']['message'])

    def test_oversized_chunked_body(self):
        # No Content-Length: the limit is enforced while the body is read.
        req = webob.Request.blank(self.path + '/1/action', method='POST',
                                  headers={'X-Auth-Token': 'admin:p1',
                                           'Content-Type':
                                               'application/json'})
        req.body_file = _Chunks(b'{"force_complete": "' + b'x' * 200000 +
                                b'"}')
        req.environ.pop('CONTENT_LENGTH', None)
        req.environ['HTTP_TRANSFER_ENCODING'] = 'chunked'
        resp = req.get_response(self.app)
        self.assertEqual(413, resp.status_code)
        self.assertEqual(413, resp.json_body['overLimit']['code'])

    def test_oversized_body(self):
        resp = self.request('POST', self.path + '/1/action',
                            body={'force_complete': 'x' * 200000})
        self.assertEqual(413, resp.status_code)
        self.assertEqual('application/json; charset=UTF-8',
                         resp.headers['Content-Type'])
        self.assertEqual(413, resp.json_body['overLimit']['code'])


class _Chunks:
    """A body stream without a known length."""

    def __init__(self, data):
        self.data = data

    def read(self, size=-1):
        if size is None or size < 0:
            size = len(self.data)
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


class FoundByGeneratedInputTestCase(stack.APITestCase):
    """Regressions the generated bad-input tests found (were 500s).

    Paths that are not UTF-8, through the whole API, are in
    gabbits/not-utf8.yaml; here, what a table of requests cannot say.
    """

    def test_path_that_is_not_utf8_in_a_host_stack(self):
        app = deploy.filter_factory(deploy.global_conf(self.conf))(
            webob.exc.HTTPNoContent())
        req = webob.Request.blank('/v2.1/servers/%FF/migrations',
                                  headers={'X-User-Id': 'u',
                                           'X-Project-Id': 'p',
                                           'X-Roles': 'admin'})
        resp = req.get_response(app)
        self.assertEqual(404, resp.status_code)
        self.assertEqual(404, resp.json_body['itemNotFound']['code'])

    def test_deeply_nested_body_is_malformed(self):
        server = sm_fixtures.make_instance(self.context)
        # Far past the recursion limit, well under the body size limit.
        depth = 50000
        for path in ('/v2.1/servers/%s/migrations/1/action',
                     '/v2.1/servers/%s/action'):
            resp = self.request('POST', path % server['uuid'],
                                body=b'[' * depth + b']' * depth)
            self.assertEqual(400, resp.status_code, resp.body)
            self.assertEqual('Malformed request body',
                             resp.json_body['badRequest']['message'])


class BusySQLiteTestCase(stack.APITestCase):
    """Another process holds SQLite's lock past the busy timeout."""

    DATABASE = None

    def setUp(self):
        super().setUp()
        self.file = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'busy.sqlite')
        self.conf.set_override('connection', 'sqlite:///' + self.file,
                               'database')
        self.conf.set_override('sqlite_busy_timeout', 0.2, 'database')
        # The engine as db_engine.configure() builds it.
        facade = enginefacade.transaction_context()
        facade.configure(**db_engine.facade_options(self.conf.database))
        engine = facade.writer.get_engine()
        self.addCleanup(engine.dispose)
        models.BASE.metadata.create_all(engine)
        self.useFixture(test_fixtures.ReplaceEngineFacadeFixture(
            db_engine._CTX, facade))
        server = sm_fixtures.make_instance(self.context)
        self.path = '/v2.1/servers/%s/migrations' % server['uuid']

    def test_locked_database_is_503_then_serves_again(self):
        locker = sqlite3.connect(self.file, isolation_level=None)
        self.addCleanup(locker.close)
        locker.execute('BEGIN EXCLUSIVE')
        resp = self.request('GET', self.path)
        self.assertEqual(503, resp.status_code, resp.body)
        self.assertEqual({'serviceUnavailable': {
            'code': 503,
            'message': 'The database is unavailable; try again later.'}},
            resp.json_body)
        locker.execute('COMMIT')
        self.assertEqual(200, self.request('GET', self.path).status_code)


class ChunkedBodyTestCase(stack.APITestCase):
    """Chunked bodies a WSGI server hands over still encoded (wsgiref)."""

    def setUp(self):
        super().setUp()
        self.computes = self.useFixture(stack.RecordingComputes(
            self.conf, ['h1']))
        server = sm_fixtures.make_instance(self.context)
        migration = sm_fixtures.make_migration(self.context, server['uuid'])
        self.path = '/v2.1/servers/%s/migrations/%d/action' % (
            server['uuid'], migration['id'])

    def _post(self, framed):
        req = webob.Request.blank(self.path, method='POST', headers={
            'X-Auth-Token': 'admin:p1', 'Content-Type': 'application/json',
            'OpenStack-API-Version': 'compute 2.80',
            'Transfer-Encoding': 'chunked'})
        req.environ['wsgi.input'] = io.BytesIO(framed)
        req.environ.pop('CONTENT_LENGTH', None)
        return req.get_response(self.app)

    @staticmethod
    def _frame(body, size):
        pieces = [body[i:i + size] for i in range(0, len(body), size)]
        return b''.join(b'%x;ext=1\r\n%s\r\n' % (len(p), p)
                        for p in pieces) + b'0\r\nX-Trailer: 1\r\n\r\n'

    def test_valid_chunked_body_is_read(self):
        resp = self._post(self._frame(b'{"force_complete": null}', 5))
        self.assertEqual(202, resp.status_code, resp.body)
        self.assertEqual(['live_migration_force_complete'],
                         [m for m, _k, _c in
                          self.computes.wait_for_cast('h1')])

    def test_oversized_chunked_body_is_413(self):
        resp = self._post(self._frame(
            b'{"force_complete": "' + b'x' * 300000 + b'"}', 8192))
        self.assertEqual(413, resp.status_code)
        self.assertEqual(413, resp.json_body['overLimit']['code'])

    def test_broken_framing_is_400(self):
        for framed in (b'zz\r\n{}\r\n0\r\n\r\n', b'ff\r\n{}\r\n',
                       b'1' * 2000, b''):
            resp = self._post(framed)
            self.assertEqual(400, resp.status_code, framed[:20])
            self.assertIn('badRequest', resp.json_body)
