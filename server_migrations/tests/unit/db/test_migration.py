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

"""Schema migrations on SQLite, and the db commands of the manage CLI."""

import os
import subprocess
import sys

import fixtures
import sqlalchemy as sa

from server_migrations.db import migration
from server_migrations.tests import base as sm_base
from server_migrations.tests import fixtures as sm_fixtures


class TestModelsMigrationsSyncSQLite(sm_fixtures.MigrationsSync,
                                     sm_base.BaseTestCase):
    """alembic's head and the models describe the same schema."""

    def setUp(self):
        super().setUp()
        path = self.useFixture(fixtures.TempDir()).join('sm.sqlite')
        self.engine = sa.create_engine('sqlite:///%s' % path)
        self.addCleanup(self.engine.dispose)

    def test_upgrade_is_idempotent(self):
        self.assertIsNone(migration.version(self.engine))
        migration.upgrade(self.engine)
        migration.upgrade(self.engine)
        self.assertEqual(migration.head(), migration.version(self.engine))


class TestManageDbCommands(sm_base.BaseTestCase):
    """server-migrations-manage db sync/version as an operator runs them."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def manage(self, conf_text, *args):
        conf = os.path.join(self.tmp, 'sm.conf')
        with open(conf, 'w') as f:
            f.write(conf_text)
        return subprocess.run(
            [sys.executable, '-m', 'server_migrations.cmd.manage',
             '--config-file', conf] + list(args),
            capture_output=True, text=True, timeout=120)

    def test_default_connection_is_sqlite_under_state_path(self):
        state = os.path.join(self.tmp, 'state', 'nested')
        conf = '[DEFAULT]\nstate_path = %s\n' % state
        out = self.manage(conf, 'db', 'version')
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertIn('None', out.stdout)
        out = self.manage(conf, 'db', 'sync')
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertTrue(os.path.exists(
            os.path.join(state, 'server_migrations.sqlite')))
        out = self.manage(conf, 'db', 'version')
        self.assertEqual(migration.head(), out.stdout.strip())

    def assertOneLineError(self, out, text):
        self.assertNotEqual(0, out.returncode)
        self.assertNotIn('Traceback', out.stderr)
        errors = [line for line in out.stderr.splitlines()
                  if line.startswith('ERROR:')]
        self.assertEqual(1, len(errors), out.stderr)
        self.assertIn(text, errors[0])

    def test_malformed_url(self):
        out = self.manage('[database]\nconnection = not a url\n',
                          'db', 'sync')
        self.assertOneLineError(out, 'not a valid SQLAlchemy URL')

    def test_unknown_backend(self):
        out = self.manage('[database]\nconnection = nosuchdb://x/y\n',
                          'db', 'sync')
        self.assertOneLineError(out, 'no database driver')

    def test_unreachable_database_hides_password(self):
        # Port 9 (discard) is closed on loopback: the connection is refused.
        out = self.manage('[database]\nconnection = '
                          'mysql+pymysql://root:s3cret@127.0.0.1:9/test\n',
                          'db', 'sync')
        self.assertOneLineError(out, 'cannot connect to the database')
        self.assertNotIn('s3cret', out.stderr + out.stdout)

    def test_missing_config_file(self):
        out = subprocess.run(
            [sys.executable, '-m', 'server_migrations.cmd.manage',
             '--config-file', os.path.join(self.tmp, 'nope.conf'),
             'db', 'sync'], capture_output=True, text=True, timeout=60)
        self.assertOneLineError(out, 'nope.conf')
