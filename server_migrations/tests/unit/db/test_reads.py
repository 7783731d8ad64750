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

"""Single-statement reads straight to the driver (db/reads.py)."""

import datetime

import fixtures
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from server_migrations.db import engine as db_engine
from server_migrations.db import errors as db_errors
from server_migrations.db import migrations as db_migrations
from server_migrations.db import reads
from server_migrations.tests import base
from server_migrations.tests import fixtures as sm_fixtures


class ReadsTestMixin:
    """Reads straight to the driver, on any backend.

    Run on SQLite here, on MySQL and PostgreSQL by the integration tests
    (``integration/test_db.py``).
    """

    def setUp(self):
        super().setUp()
        self.engine = db_engine.get_engine()
        self.server = sm_fixtures.make_instance(self.context, host='src')
        self.migrations = [sm_fixtures.make_migration(
            self.context, self.server['uuid'], status=status, hidden=False,
            source_compute='src', dest_compute='dst')
            for status in ('running', 'completed')]
        self.statement = sa.select(db_migrations.MIGRATIONS).where(
            db_migrations.MIGRATIONS.c.instance_uuid == sa.bindparam('uuid'),
            db_migrations.MIGRATIONS.c.status.in_(
                [sa.literal('running'), sa.literal('queued')]))

    def _through_sqlalchemy(self, statement, **params):
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(statement,
                                                  params).mappings()]

    def test_rows_as_sqlalchemy_gives_them(self):
        read = reads.Read(self.statement)
        rows = read.all(self.engine, uuid=self.server['uuid'])
        self.assertEqual(self._through_sqlalchemy(
            self.statement, uuid=self.server['uuid']), rows)
        self.assertEqual([self.migrations[0]['id']], [r['id'] for r in rows])
        # Columns keep their types: SQLite's text becomes a date-time.
        self.assertIsInstance(rows[0]['created_at'], datetime.datetime)
        self.assertIs(False, rows[0]['hidden'])
        self.assertEqual([], read.all(self.engine, uuid='nothing'))

    def test_compiled_once_per_dialect(self):
        read = reads.Read(self.statement)
        read.all(self.engine, uuid=self.server['uuid'])
        compiled = read._compiled[self.engine.dialect]
        read.all(self.engine, uuid='other')
        self.assertIs(compiled, read._compiled[self.engine.dialect])

    def test_expanding_in_is_refused(self):
        statement = sa.select(db_migrations.MIGRATIONS).where(
            db_migrations.MIGRATIONS.c.status.in_(['running', 'queued']))
        self.assertRaises(ValueError, reads.Read(statement).all,
                          self.engine)

    def test_driver_error_as_sqlalchemy_wraps_it(self):
        missing = sa.table('no_such_table', sa.column('id'))
        read = reads.Read(sa.select(missing.c.id))
        exc = self.assertRaises(sa_exc.DBAPIError, read.all, self.engine)
        self.assertFalse(exc.connection_invalidated)
        # A statement error, not "try again later".
        self.assertFalse(db_errors.is_unavailable(exc))
        # The connection is still good for the next read.
        self.assertEqual(1, len(reads.Read(self.statement).all(
            self.engine, uuid=self.server['uuid'])))

    def test_lost_connection_is_invalidated_and_unavailable(self):
        missing = sa.table('no_such_table', sa.column('id'))
        self.useFixture(fixtures.MockPatchObject(
            self.engine.dialect, 'is_disconnect', return_value=True))
        invalidated = []
        sa.event.listen(self.engine, 'invalidate',
                        lambda *args: invalidated.append(args))
        exc = self.assertRaises(sa_exc.DBAPIError,
                                reads.Read(sa.select(missing.c.id)).all,
                                self.engine)
        self.assertTrue(exc.connection_invalidated)
        self.assertTrue(db_errors.is_unavailable(exc))
        self.assertEqual(1, len(invalidated))

    def test_failure_to_connect_is_unavailable(self):
        def refuse(*args, **kwargs):
            raise self.engine.dialect.loaded_dbapi.OperationalError(
                'unable to open database file')
        self.useFixture(fixtures.MockPatchObject(
            self.engine, 'raw_connection', refuse))
        exc = self.assertRaises(sa_exc.OperationalError,
                                reads.Read(self.statement).all,
                                self.engine, uuid='x')
        self.assertTrue(db_errors.is_unavailable(exc))

    def test_no_transaction_is_begun(self):
        # oslo.db emits SQLite's BEGIN from the engine's "begin" event; a
        # single-statement read fires none.
        begun = []

        def begin(conn):
            begun.append(conn)

        sa.event.listen(self.engine, 'begin', begin)
        self.addCleanup(sa.event.remove, self.engine, 'begin', begin)
        reads.Read(self.statement).all(self.engine, uuid=self.server['uuid'])
        self.assertEqual([], begun)
        self._through_sqlalchemy(self.statement, uuid=self.server['uuid'])
        self.assertEqual(1, len(begun))


class TestReadsSQLite(ReadsTestMixin, base.TestCase):
    pass
