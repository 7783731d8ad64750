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

"""One-line descriptions of database failures, for operators."""

from oslo_db import exception as db_exc
from oslo_utils import encodeutils
import sqlalchemy.exc as sa_exc


# Driver error codes of a statement the server stopped at its deadline:
# PostgreSQL's query_canceled, MariaDB's max_statement_time and MySQL's
# max_execution_time.
_PG_TIMEOUT_CODES = ('57014',)
_MYSQL_TIMEOUT_CODES = (1969, 3024)
# SQLite's busy timeout ran out (another process holds the lock).
_SQLITE_BUSY = 'database is locked'


def is_unavailable(exc):
    """Whether ``exc`` means "the database cannot answer now, try later".

    A lost or refused connection (oslo.db's DBConnectionError, or what
    SQLAlchemy reports as an invalidated connection or an OperationalError
    before any statement ran), a connection pool with none free in time,
    and a statement stopped at its deadline (``[database]
    statement_timeout``, SQLite's busy timeout). Any other error about a
    statement (on SQLite even a missing table) is not "try again later".
    """
    if isinstance(exc, db_exc.DBConnectionError):
        return True
    if isinstance(exc, db_exc.DBError) and exc.inner_exception is not None:
        return is_unavailable(exc.inner_exception)
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    if exc.statement is None:
        return True
    orig = exc.orig
    if getattr(orig, 'pgcode', None) in _PG_TIMEOUT_CODES:
        return True
    args = getattr(orig, 'args', ())
    if args and args[0] in _MYSQL_TIMEOUT_CODES:
        return True
    return _SQLITE_BUSY in str(orig)


def is_database_error(exc):
    return isinstance(exc, (sa_exc.SQLAlchemyError, db_exc.DBError,
                            ImportError))


def describe(exc, connection):
    """A single line saying what went wrong with ``connection``.

    The URL's password is masked.
    """
    try:
        from sqlalchemy.engine import make_url
        where = make_url(connection).render_as_string(hide_password=True)
    except Exception:
        where = '<unparseable URL>'
    if isinstance(exc, (sa_exc.NoSuchModuleError, ImportError)):
        return ('no database driver for [database] connection %s; use '
                'sqlite://, mysql+pymysql:// or postgresql+psycopg2:// and '
                'install the mysql or postgresql extra' % where)
    if isinstance(exc, sa_exc.ArgumentError):
        return ('[database] connection is not a valid SQLAlchemy URL: %s'
                % where)
    if isinstance(exc, db_exc.DBConnectionError):
        return 'cannot connect to the database at %s' % where
    detail = encodeutils.exception_to_unicode(exc).splitlines()
    first = detail[0] if detail else type(exc).__name__
    return 'database error at %s: %s' % (where, first)
