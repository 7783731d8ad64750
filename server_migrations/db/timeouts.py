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
* psycopg2: ``connect_timeout``, the server's ``statement_timeout``, and
  libpq's own TCP deadlines for an open connection that goes silent:
  ``tcp_user_timeout`` (data sent and never acknowledged, as a query into
  a partition) and TCP keepalives (a connection that stops answering
  while it waits for a result), both within ``read_timeout``. They cost
  nothing per query, unlike a Python wait callback around every call;
* SQLite: the busy timeout of the sqlite3 module.
"""

from urllib import parse

from sqlalchemy.engine import url as sa_url

# The MariaDB-only part is in a /*M! */ comment: MySQL runs the rest.
_MARIADB_INIT = ('SET @server_migrations=1 '
                 '/*M!, SESSION max_statement_time=%d*/')


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
        read = db_conf.read_timeout
        # Keepalive probes from a third of the timeout on, a few of them:
        # a silent peer is given up within about read_timeout seconds.
        idle = max(1, read // 3)
        params = {'connect_timeout': db_conf.connect_timeout,
                  'options': '-c statement_timeout=%d' % (
                      db_conf.statement_timeout * 1000),
                  'tcp_user_timeout': read * 1000,
                  'keepalives': 1, 'keepalives_idle': idle,
                  'keepalives_interval': max(1, (read - idle) // 3),
                  'keepalives_count': 3}
    elif backend == 'sqlite':
        params = {'timeout': db_conf.sqlite_busy_timeout}
    else:
        params = {}
    ours = parse.urlencode(params)
    theirs = db_conf.connection_parameters or ''
    return '&'.join(p for p in (ours, theirs) if p)
