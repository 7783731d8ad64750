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

"""[database]: oslo.db's options (a SQLite file under state_path by default)
and this project's deadlines on every conversation with the database."""

from oslo_config import cfg
from oslo_db import options as db_options

# oslo.config interpolates $state_path from [DEFAULT] when the value is read.
DEFAULT_CONNECTION = 'sqlite:///$state_path/server_migrations.sqlite'

GROUP = 'database'
OPTS = [
    cfg.IntOpt('connect_timeout', default=5, min=1,
               help='Seconds to open a connection to PostgreSQL or '
                    'MariaDB (TCP and the login handshake). A database '
                    'that does not answer in time is a 503 '
                    'serviceUnavailable.'),
    cfg.IntOpt('read_timeout', default=15, min=1,
               help='Seconds to wait for PostgreSQL or MariaDB to answer '
                    'on an open connection (a partition or a failover '
                    'that drops packets). The connection is then dropped '
                    'and the request answered 503 serviceUnavailable. '
                    'Keep it above statement_timeout.'),
    cfg.IntOpt('statement_timeout', default=10, min=1,
               help='Seconds a single statement may run on the database '
                    'server (PostgreSQL statement_timeout, MariaDB '
                    'max_statement_time) before the server stops it; the '
                    'request is answered 503 serviceUnavailable.'),
    cfg.FloatOpt('sqlite_busy_timeout', default=5.0, min=0,
                 help='Seconds a SQLite connection waits for a lock held '
                      'by another process before the request is answered '
                      '503 serviceUnavailable.'),
]


def register_opts(conf):
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    # oslo.db documents its own options (generator namespace "oslo.db").
    return {GROUP: OPTS}
