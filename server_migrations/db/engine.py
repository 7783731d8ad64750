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

"""The database engine: set-up, transactions and the helpers of every table.

Every query module (``instances``, ``migrations``, ``instance_actions``,
``services``, ``agent_actions``, ...) runs SQLAlchemy Core statements on a
Core connection of oslo.db's engine facade: ``writer(context)`` for writes,
``reading(context)`` for reads, both joining a transaction the caller
already holds with the same context. Nothing maps ORM objects: a Session
costs more than the statements it runs. The API's single-statement reads of
its hot path skip the transaction altogether (``reads.Read`` on
``reader_engine()``).
"""

import re

from oslo_db.sqlalchemy import enginefacade
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy.dialects import plugins
from sqlalchemy.engine import url as sa_url

from server_migrations.conf import database as database_conf
from server_migrations.db import timeouts

_CTX = enginefacade.transaction_context()

# Largest value of a 32-bit signed INTEGER primary key on every backend.
_MAX_DB_INT = 2 ** 31 - 1
_DECIMAL = re.compile(r'[0-9]+\Z')
_PING = sa.select(sa.literal(1))


class PooledSQLiteFile(sa.engine.CreateEnginePlugin):
    """Keep a SQLite file's connections open between transactions.

    oslo.db gives a SQLite file a NullPool: every transaction would open
    and set up a new connection, which costs more CPU than the queries of a
    request. This SQLAlchemy engine plugin, named in the URL's query
    (``facade_options``), asks ``create_engine`` for SQLAlchemy's own
    default for files instead, a QueuePool (whose connections may already
    move between threads), sized by the ``pool_*`` query parameters. The
    pool is made by ``create_engine``, so oslo.db's connect and checkout
    events apply to it as to any other.
    """

    NAME = 'server_migrations_sqlite_pool'
    # URL query parameter -> create_engine() argument and its type.
    PARAMETERS = {'pool_size': ('pool_size', int),
                  'pool_overflow': ('max_overflow', int),
                  'pool_timeout': ('pool_timeout', float)}

    def __init__(self, url, kwargs):
        super().__init__(url, kwargs)
        kwargs['poolclass'] = sa.pool.QueuePool
        # No pre-ping: a file has no server that could drop the connection.
        kwargs['pool_pre_ping'] = False
        for name, (argument, kind) in self.PARAMETERS.items():
            if name in url.query:
                kwargs[argument] = kind(url.query[name])

    def update_url(self, url):
        return url.difference_update_query(list(self.PARAMETERS))

    @classmethod
    def parameters(cls, connection, db_conf):
        """The query string that pools a SQLite file ('' for other URLs)."""
        url = sa_url.make_url(connection)
        if url.get_backend_name() != 'sqlite':
            return ''
        if url.database in (None, '', ':memory:'):
            return ''
        params = [('plugin', cls.NAME)]
        if db_conf.max_pool_size:
            params.append(('pool_size', db_conf.max_pool_size))
        if db_conf.max_overflow is not None:
            params.append(('pool_overflow', db_conf.max_overflow))
        if db_conf.pool_timeout is not None:
            params.append(('pool_timeout', db_conf.pool_timeout))
        return '&'.join('%s=%s' % param for param in params)


plugins.register(PooledSQLiteFile.NAME, __name__, 'PooledSQLiteFile')


def facade_options(db_conf):
    """The engine facade's options for ``[database]``, deadlines included."""
    options = dict(db_conf.items())
    for opt in database_conf.OPTS:
        # Ours, not oslo.db's: they become driver arguments.
        options.pop(opt.name, None)
    # The operator's own parameters (in the deadlines') stay last.
    query = (PooledSQLiteFile.parameters(db_conf.connection, db_conf),
             timeouts.connection_parameters(db_conf.connection, db_conf))
    options['connection_parameters'] = '&'.join(q for q in query if q)
    # No process of ours runs eventlet greenthreads: the sleep(0) oslo.db
    # would add to every connection check-in only costs time.
    options['thread_checkin'] = False
    return options


def configure(conf):
    """Point the engine facade at ``[database]``; call once at start-up."""
    timeouts.install_postgresql_waiter(conf.database.connection,
                                       conf.database)
    _CTX.configure(**facade_options(conf.database))


def writer(context):
    """A write transaction; the calls made with ``context`` inside join it.

    For changes that must be atomic together, such as a migration's
    terminal status and the matching move of its server. A Core connection
    rather than an ORM Session: nothing here maps objects.
    """
    return _CTX.writer.connection.using(context)


def reading(context):
    """One read-only transaction for the reads inside it (one connection).

    The reads of a request share its connection (and, on PostgreSQL and
    MySQL, the pool's liveness ping) instead of each taking one. Inside a
    ``writer`` of the same context, the reads join the write transaction.
    """
    return _CTX.reader.connection.using(context)


def ping(context):
    """Open a pooled connection now (start-up) with a trivial query."""
    with reading(context) as conn:
        conn.execute(_PING)


def get_engine(context=None):
    """The writer engine (for schema migrations and tests)."""
    return _CTX.writer.get_engine()


def reader_engine():
    """The reader engine, for ``reads.Read`` (no transaction)."""
    return _CTX.reader.get_engine()


def db_id(value):
    """Return ``value`` as a database id, or None if it cannot be one.

    The API hands path segments here as strings. Anything that is not a
    plain decimal integer in the column's range is simply not found, on
    every backend (PostgreSQL would otherwise raise on the type mismatch
    and MySQL would cast '5abc' to 5).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DECIMAL.match(value):
        number = int(value)
    else:
        return None
    return number if 0 < number <= _MAX_DB_INT else None


def new_row(values, **defaults):
    """``values`` over a new row's defaults: a uuid, now, not deleted."""
    row = {'uuid': uuidutils.generate_uuid(),
           'created_at': timeutils.utcnow(), 'deleted': 0}
    row.update(defaults)
    row.update(values)
    return row


def first(conn, statement, **params):
    """The first row as a dict, or None."""
    row = conn.execute(statement, params).mappings().first()
    return dict(row) if row is not None else None


def all_rows(conn, statement, **params):
    """Every row, as dicts."""
    return [dict(row) for row in conn.execute(statement, params).mappings()]
