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

import os
from urllib import parse

from oslo_db import exception as db_exc
import psycopg2
from psycopg2 import extensions
import pymysql
from sqlalchemy import exc as sa_exc

from server_migrations.db import engine as db_engine
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
        options = db_engine.facade_options(self.conf.database)
        self.assertNotIn('read_timeout', options)
        self.assertNotIn('sqlite_busy_timeout', options)
        # The file's pool (db.engine.PooledSQLiteFile), then the deadline.
        self.assertEqual('plugin=server_migrations_sqlite_pool&pool_size=5&'
                         'pool_overflow=50&timeout=5.0',
                         options['connection_parameters'])


class _SilentConnection:
    """Stands for a psycopg2 connection whose server never answers."""

    status = extensions.STATUS_READY

    def __init__(self, fd):
        self.fd = fd

    def poll(self):
        return extensions.POLL_READ

    def fileno(self):
        return self.fd


class PostgreSQLWaiterTestCase(base.TestCase):

    def test_gives_up_as_a_lost_connection(self):
        read_end, write_end = os.pipe()
        self.addCleanup(os.close, read_end)
        self.addCleanup(os.close, write_end)
        wait = timeouts.postgresql_waiter(1, 0.01)
        exc = self.assertRaises(psycopg2.OperationalError, wait,
                                _SilentConnection(read_end))
        self.assertIn('could not receive data from server', str(exc))


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
