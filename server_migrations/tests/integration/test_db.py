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

"""The storage layer on PostgreSQL and MariaDB: queries and db sync."""

import subprocess
import sys

from oslo_db.sqlalchemy import test_fixtures
import sqlalchemy as sa

from server_migrations.db import engine as db_engine
from server_migrations.db import migration
from server_migrations.db import models
from server_migrations.tests import base
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.integration import backends
from server_migrations.tests.unit.db import test_api
from server_migrations.tests.unit.db import test_listings
from server_migrations.tests.unit.db import test_reads


class _Backend(backends.ProvisionedDatabase, base.TestCase):
    """The mixed-in tests on a provisioned database."""


class TestQueriesMySQL(test_api.QueriesTestMixin, _Backend):
    FIXTURE = sm_fixtures.MySQLDatabase


class TestQueriesPostgreSQL(test_api.QueriesTestMixin, _Backend):
    FIXTURE = sm_fixtures.PostgresqlDatabase


class TestListingsMySQL(test_listings.ListingsTestMixin, _Backend):
    FIXTURE = sm_fixtures.MySQLDatabase


class TestListingsPostgreSQL(test_listings.ListingsTestMixin, _Backend):
    FIXTURE = sm_fixtures.PostgresqlDatabase


class TestReadsMySQL(test_reads.ReadsTestMixin, _Backend):
    FIXTURE = sm_fixtures.MySQLDatabase


class TestReadsPostgreSQL(test_reads.ReadsTestMixin, _Backend):
    FIXTURE = sm_fixtures.PostgresqlDatabase


class _EmptyDatabase(test_fixtures.OpportunisticDBTestMixin,
                     sm_fixtures.MigrationsSync):
    """A provisioned, empty database; the schema comes from db sync."""

    SKIP_ON_UNAVAILABLE_DB = False

    def setUp(self):
        super().setUp()
        self.engine = self._get_default_provisioned_db().engine

    def test_sync_twice_and_version(self):
        self.assertIsNone(migration.version(self.engine))
        migration.upgrade(self.engine)
        migration.upgrade(self.engine)
        self.assertEqual(migration.head(), migration.version(self.engine))
        tables = set(sa.inspect(self.engine).get_table_names())
        self.assertLessEqual(
            {'instances', 'migrations', 'services', 'instance_actions',
             'instance_actions_events'}, tables)

    def test_sync_finishes_a_half_done_schema(self):
        # As if a first run died after creating one table (no
        # transactional DDL on MariaDB): running it again finishes the job.
        models.Instance.__table__.create(self.engine)
        migration.upgrade(self.engine)
        self.assertEqual(migration.head(), migration.version(self.engine))
        self.assertIn('migrations', sa.inspect(self.engine).get_table_names())

    def test_manage_db_sync_command(self):
        url = self.engine.url.render_as_string(hide_password=False)
        with open(self.conf_path, 'w') as f:
            f.write('[database]\nconnection = %s\n' % url)
        for args, expect in ((['db', 'version'], 'None'),
                             (['db', 'sync'], migration.head()),
                             (['db', 'version'], migration.head())):
            out = subprocess.run(
                [sys.executable, '-m', 'server_migrations.cmd.manage',
                 '--config-file', self.conf_path] + args,
                capture_output=True, text=True, timeout=120)
            self.assertEqual(0, out.returncode, out.stderr)
            self.assertIn(expect, out.stdout)

    @property
    def conf_path(self):
        if not hasattr(self, '_conf_path'):
            import fixtures
            self._conf_path = self.useFixture(
                fixtures.TempDir()).join('sm.conf')
        return self._conf_path


class _EmptyMySQL(test_fixtures.MySQLOpportunisticFixture):
    def get_enginefacade(self):
        return db_engine._CTX


class _EmptyPostgreSQL(test_fixtures.PostgresqlOpportunisticFixture):
    def get_enginefacade(self):
        return db_engine._CTX


class TestMigrationsMySQL(_EmptyDatabase, base.TestCase):
    FIXTURE = _EmptyMySQL
    DATABASE = None


class TestMigrationsPostgreSQL(_EmptyDatabase, base.TestCase):
    FIXTURE = _EmptyPostgreSQL
    DATABASE = None
