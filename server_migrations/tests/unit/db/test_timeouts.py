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

"""Deadlines given to each driver, and which errors mean "try later"."""

from urllib import parse

from oslo_db import exception as db_exc
import pymysql
from sqlalchemy import exc as sa_exc

from server_migrations.db import api as db_api
from server_migrations.db import errors
from server_migrations.db import timeouts
from server_migrations.tests import base


class ConnectionParametersTestCase(base.TestCase):

    def _params(self, url):
        self.conf.set_override('connection', url, 'database')
        return parse.parse_qs(timeouts.connection_parameters(
            url, self.conf.database))

    def test_mariadb(self):
        params = self._params('mysql+pymysql://u:p@db/sm')
        self.assertEqual(['5'], params['connect_timeout'])
        self.assertEqual(['15'], params['read_timeout'])
        self.assertEqual(['15'], params['write_timeout'])
        self.assertIn('max_statement_time=10', params['init_command'][0])

    def test_postgresql(self):
        self.conf.set_override('statement_timeout', 3, 'database')
        params = self._params('postgresql+psycopg2://u:p@db/sm')
        self.assertEqual(['5'], params['connect_timeout'])
        self.assertEqual(['-c statement_timeout=3000'], params['options'])
        # A silent connection is given up within read_timeout (15 s) by
        # libpq itself: unacknowledged data, and keepalive probes.
        self.assertEqual(['15000'], params['tcp_user_timeout'])
        self.assertEqual((['1'], ['5'], ['3'], ['3']), (
            params['keepalives'], params['keepalives_idle'],
            params['keepalives_interval'], params['keepalives_count']))

    def test_sqlite(self):
        self.conf.set_override('sqlite_busy_timeout', 0.5, 'database')
        self.assertEqual({'timeout': ['0.5']},
                         self._params('sqlite:////tmp/x.sqlite'))

    def test_operator_parameters_come_last(self):
        self.conf.set_override('connection_parameters', 'read_timeout=60',
                               'database')
        params = self._params('mysql+pymysql://u:p@db/sm')
        self.assertEqual(['15', '60'], params['read_timeout'])

    def test_facade_options_leave_ours_out(self):
        self.conf.set_override('connection', 'sqlite:////tmp/x.sqlite',
                               'database')
        options = db_api.facade_options(self.conf.database)
        self.assertNotIn('read_timeout', options)
        self.assertNotIn('sqlite_busy_timeout', options)
        self.assertEqual('timeout=5.0', options['connection_parameters'])


class IsUnavailableTestCase(base.TestCase):

    def _operational(self, orig, statement='SELECT 1'):
        return sa_exc.OperationalError(statement, {}, orig)

    def test_statement_timeouts(self):
        # psycopg2 sets pgcode from the server's answer only.
        pg = type('QueryCanceled', (Exception,), {'pgcode': '57014'})(
            'canceling statement due to statement timeout')
        for orig in (pg,
                     pymysql.err.OperationalError(
                         1969, 'Query execution was interrupted '
                               '(max_statement_time exceeded)'),
                     Exception('database is locked')):
            self.assertTrue(errors.is_unavailable(self._operational(orig)),
                            orig)

    def test_lost_and_pool_timeout(self):
        self.assertTrue(errors.is_unavailable(
            db_exc.DBConnectionError('gone')))
        self.assertTrue(errors.is_unavailable(
            sa_exc.TimeoutError('QueuePool limit reached')))
        self.assertTrue(errors.is_unavailable(db_exc.DBError(
            self._operational(Exception('database is locked')))))

    def test_statement_errors_are_not(self):
        for orig in (Exception('no such table: instances'),
                     pymysql.err.OperationalError(1054, 'Unknown column')):
            self.assertFalse(errors.is_unavailable(self._operational(orig)))
        self.assertFalse(errors.is_unavailable(ValueError('x')))
