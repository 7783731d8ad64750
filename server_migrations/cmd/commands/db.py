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

"""server-migrations-manage db ...: create, upgrade and inspect the schema."""

import os

from sqlalchemy.engine import make_url

from server_migrations.db import engine as db_engine
from server_migrations.db import migration


def add_parsers(subparsers):
    parser = subparsers.add_parser('db', help='database schema commands')
    actions = parser.add_subparsers(dest='action', metavar='{sync,version}')
    actions.required = True
    actions.add_parser('sync', help='create or upgrade the schema')
    actions.add_parser('version', help='print the schema revision')


def ensure_sqlite_dir(connection):
    """Create the directory of a SQLite file database if it is missing."""
    url = make_url(connection)
    if url.get_backend_name() == 'sqlite' and url.database not in (
            None, '', ':memory:'):
        os.makedirs(os.path.dirname(os.path.abspath(url.database)),
                    exist_ok=True)


class DbCommands:

    def __init__(self, conf):
        self.conf = conf

    def _engine(self):
        return db_engine.get_engine()

    def sync(self, args):
        """Create or upgrade the schema to the newest revision."""
        migration.upgrade(self._engine())
        print('Database is at revision %s.' % migration.head())
        return 0

    def version(self, args):
        """Print the schema revision of the database."""
        current = migration.version(self._engine())
        print(current or 'None (empty database: run "db sync")')
        return 0
