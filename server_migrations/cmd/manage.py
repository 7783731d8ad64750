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

import sys

from oslo_config import cfg

from server_migrations.cmd.commands import db as db_commands
from server_migrations.cmd.commands import host as host_commands
from server_migrations.cmd.commands import metrics as metrics_commands
from server_migrations.cmd.commands import migration as migration_commands
from server_migrations.cmd.commands import policy as policy_commands
from server_migrations.cmd.commands import service as service_commands
from server_migrations.db import engine as db_engine
from server_migrations.db import errors as db_errors
from server_migrations import rpc
from server_migrations import startup

CATEGORIES = {
    'db': (db_commands.add_parsers, db_commands.DbCommands),
    'host': (host_commands.add_parsers, host_commands.HostCommands),
    'metrics': (metrics_commands.add_parsers,
                metrics_commands.MetricsCommands),
    'migration': (migration_commands.add_parsers,
                  migration_commands.MigrationCommands),
    'policy': (policy_commands.add_parsers, policy_commands.PolicyCommands),
    'service': (service_commands.add_parsers,
                service_commands.ServiceCommands),
}

# Refusals each command group raises for the operator; printed in one line.
_COMMAND_ERRORS = (migration_commands.CommandError,
                   host_commands.CommandError)


def add_command_parsers(subparsers):
    for add_parsers, _commands in CATEGORIES.values():
        add_parsers(subparsers)


command_opt = cfg.SubCommandOpt('category', title='Commands',
                                handler=add_command_parsers)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    # Fail fast by default: an operator at a prompt wants an answer, not
    # ten reconnection attempts. A config file can still raise it.
    conf = startup.setup(argv, cli_opts=[command_opt],
                         defaults={('database', 'max_retries'): 0})
    args = conf.category
    _add_parsers, commands = CATEGORIES[args.name]
    try:
        db_commands.ensure_sqlite_dir(conf.database.connection)
        db_engine.configure(conf)
        handler = commands(conf)
        return getattr(handler, args.action.replace('-', '_'))(args)
    except _COMMAND_ERRORS as exc:
        startup.fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line for the operator, no traceback
        if db_errors.is_database_error(exc):
            startup.fail(db_errors.describe(exc, conf.database.connection))
        startup.fail('%s: %s' % (type(exc).__name__, exc))
    finally:
        # Flush and close the broker connection of a force-complete/abort.
        rpc.reset()


if __name__ == '__main__':
    sys.exit(main())
