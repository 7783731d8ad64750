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

"""server-migrations-manage: schema and operator commands."""

import os
import sys

from oslo_config import cfg
from sqlalchemy.engine import make_url

from server_migrations.cmd import common
from server_migrations.db import api as db_api
from server_migrations.db import errors as db_errors
from server_migrations.db import migration


def _ensure_sqlite_dir(connection):
    url = make_url(connection)
    if url.get_backend_name() == 'sqlite' and url.database not in (
            None, '', ':memory:'):
        os.makedirs(os.path.dirname(os.path.abspath(url.database)),
                    exist_ok=True)


class DbCommands:
    """db sync | db version"""

    def __init__(self, conf):
        self.conf = conf

    def _engine(self):
        connection = self.conf.database.connection
        _ensure_sqlite_dir(connection)
        db_api.configure(self.conf)
        return db_api.get_engine()

    def sync(self):
        """Create or upgrade the schema to the newest revision."""
        migration.upgrade(self._engine())
        print('Database is at revision %s.' % migration.head())

    def version(self):
        """Print the schema revision of the database."""
        current = migration.version(self._engine())
        print(current or 'None (empty database: run "db sync")')


def _add_db_parsers(subparsers):
    parser = subparsers.add_parser('db', help='database schema commands')
    actions = parser.add_subparsers(dest='action', metavar='{sync,version}')
    actions.required = True
    actions.add_parser('sync', help='create or upgrade the schema')
    actions.add_parser('version', help='print the schema revision')


def add_command_parsers(subparsers):
    _add_db_parsers(subparsers)


CATEGORIES = {'db': DbCommands}

command_opt = cfg.SubCommandOpt('category', title='Commands',
                                handler=add_command_parsers)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    # Fail fast by default: an operator at a prompt wants an answer, not
    # ten reconnection attempts. A config file can still raise it.
    conf = common.setup(argv, cli_opts=[command_opt],
                        defaults={('database', 'max_retries'): 0})
    category = conf.category.name
    handler = CATEGORIES[category](conf)
    action = getattr(handler, conf.category.action)
    try:
        action()
    except Exception as exc:  # one line for the operator, no traceback
        common.fail(db_errors.describe(exc, conf.database.connection))
    return 0


if __name__ == '__main__':
    sys.exit(main())
