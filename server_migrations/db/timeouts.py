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

"""Deadlines on every conversation with the database.

A database that stops answering (packets dropped by a partition or a
failover) must cost a request a bounded time, not a worker for minutes.
Each driver gets the bounds it understands as connection parameters
(oslo.db's ``connection_parameters``):

* PyMySQL: ``connect_timeout``, ``read_timeout`` and ``write_timeout``
  (socket timeouts), and MariaDB's ``max_statement_time``;
* psycopg2: ``connect_timeout`` and the server's ``statement_timeout``.
  libpq has no read timeout, so psycopg2 runs its I/O through a wait
  callback (``install_postgresql_waiter``) that gives up, and drops the
  connection, when the server has not answered in ``read_timeout``;
* SQLite: the busy timeout of the sqlite3 module.
"""

import select
import time
from urllib import parse

from sqlalchemy.engine import url as sa_url

# The MariaDB-only part is in a /*M! */ comment: MySQL runs the rest.
_MARIADB_INIT = ('SET @server_migrations=1 '
                 '/*M!, SESSION max_statement_time=%d*/')
# What the driver says, so that SQLAlchemy counts it as a lost connection.
NO_ANSWER = 'could not receive data from server: no answer within %s s'


def connection_parameters(connection, db_conf):
    """The query string of driver arguments that bound every call.

    Appended to what the operator put in ``[database]
    connection_parameters`` (theirs comes last, so it wins).
    """
    backend = sa_url.make_url(connection).get_backend_name()
    if backend == 'mysql':
        params = {'connect_timeout': db_conf.connect_timeout,
                  'read_timeout': db_conf.read_timeout,
                  'write_timeout': db_conf.read_timeout,
                  'init_command': _MARIADB_INIT % db_conf.statement_timeout}
    elif backend == 'postgresql':
        params = {'connect_timeout': db_conf.connect_timeout,
                  'options': '-c statement_timeout=%d' % (
                      db_conf.statement_timeout * 1000)}
    elif backend == 'sqlite':
        params = {'timeout': db_conf.sqlite_busy_timeout}
    else:
        params = {}
    ours = parse.urlencode(params)
    theirs = db_conf.connection_parameters or ''
    return '&'.join(p for p in (ours, theirs) if p)


def postgresql_waiter(connect_timeout, read_timeout):
    """A psycopg2 wait callback that gives up after a deadline.

    Each wait covers one exchange (opening the connection, or a statement
    and its answer). When it runs out, the connection is closed by
    psycopg2 and the error reads as a lost connection.
    """
    import psycopg2
    from psycopg2 import extensions

    def wait(conn):
        timeout = (connect_timeout if conn.status == extensions.STATUS_SETUP
                   else read_timeout)
        deadline = time.monotonic() + timeout
        while True:
            state = conn.poll()
            if state == extensions.POLL_OK:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise psycopg2.OperationalError(NO_ANSWER % timeout)
            if state == extensions.POLL_READ:
                select.select([conn.fileno()], [], [], remaining)
            elif state == extensions.POLL_WRITE:
                select.select([], [conn.fileno()], [], remaining)
            else:
                raise psycopg2.OperationalError(
                    'unexpected psycopg2 poll state %r' % state)
    return wait


def install_postgresql_waiter(connection, db_conf):
    """Bound psycopg2's waits in this process (a no-op for other URLs)."""
    url = sa_url.make_url(connection)
    if (url.get_backend_name(), url.get_driver_name()) != ('postgresql',
                                                           'psycopg2'):
        return
    from psycopg2 import extensions
    extensions.set_wait_callback(postgresql_waiter(
        db_conf.connect_timeout, db_conf.read_timeout))
