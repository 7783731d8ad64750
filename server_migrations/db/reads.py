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

"""Single-statement reads of the API's hot path, straight to the driver.

A read that is one statement needs no transaction: the statement sees one
consistent state of the database on its own. Through a SQLAlchemy
Connection it would still get one (oslo.db emits ``BEGIN`` itself on
SQLite; psycopg2 sends one before the statement, and the pool a
``ROLLBACK`` when the connection goes back), and each execution builds an
execution context and a result object. Here a statement is compiled once
per dialect (SQLAlchemy Core, bind parameters) and run on a connection of
the engine's pool (oslo.db's engine: its options, connect and checkout
events, pre-ping and deadlines) through the driver's cursor, in
autocommit; rows become dicts with the columns' own result processors
(SQLite's date-times are text).

A driver's error (connecting, or running the statement) is raised as
SQLAlchemy wraps it (``DBAPIError``, ``connection_invalidated`` when the
connection was lost, which is then invalidated), which the API's fault
handling knows (``db/errors.py``: 503 for a lost connection or a
statement stopped at its deadline). It is not retried, so a database
that does not answer costs a read one deadline. oslo.db's own exception
classes are not raised here: its translation runs inside SQLAlchemy's
execution, which these reads skip.
"""

import sqlalchemy.exc as sa_exc


class _Compiled:
    """A statement's SQL, parameters and row processing for one dialect."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params:
            # An expanding IN is rendered per execution; list its values
            # as separate bound values (``sa.literal``) instead.
            raise ValueError('expanding parameters cannot be compiled once')
        self.sql = str(compiled)
        self.static = dict(compiled.params)
        self.positional = compiled.positiontup if compiled.positional \
            else None
        self.keys = []
        self.processors = []
        for column in statement.selected_columns:
            self.keys.append(column.key)
            self.processors.append(column.type.dialect_impl(
                dialect).result_processor(dialect, None))

    def parameters(self, params):
        values = dict(self.static, **params)
        if self.positional is None:
            return values
        return tuple(values[name] for name in self.positional)

    def rows(self, raw_rows):
        keys = self.keys
        processed = [(i, p) for i, p in enumerate(self.processors) if p]
        result = []
        for raw in raw_rows:
            row = list(raw)
            for i, process in processed:
                row[i] = process(row[i])
            result.append(dict(zip(keys, row)))
        return result


class Read:
    """One SELECT, compiled once per dialect, run without a transaction."""

    def __init__(self, statement):
        self.statement = statement
        self._compiled = {}

    def _for(self, dialect):
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = _Compiled(self.statement,
                                                           dialect)
        return compiled

    def all(self, engine, **params):
        """Every row, as dicts keyed by the selected columns' keys."""
        dialect = engine.dialect
        compiled = self._for(dialect)
        args = compiled.parameters(params)
        dbapi_error = dialect.loaded_dbapi.Error
        try:
            connection = engine.raw_connection()
        except dbapi_error as exc:
            # Connecting failed: as SQLAlchemy reports it, no statement run.
            raise _wrapped(None, None, exc, dialect, True)
        driver = connection.driver_connection
        autocommit = _autocommit(dialect, driver)
        try:
            cursor = driver.cursor()
            try:
                cursor.execute(compiled.sql, args)
                raw_rows = cursor.fetchall()
            finally:
                cursor.close()
        except dbapi_error as exc:
            lost = dialect.is_disconnect(exc, driver, None)
            if lost:
                connection.invalidate(exc)
            raise _wrapped(compiled.sql, args, exc, dialect, lost)
        finally:
            if autocommit and connection.dbapi_connection is not None:
                driver.autocommit = False
            connection.close()
        return compiled.rows(raw_rows)


def _wrapped(sql, args, exc, dialect, lost):
    """The driver's error as SQLAlchemy wraps it (``DBAPIError``).

    Never retried: a database that does not answer costs a read one
    deadline, not two.
    """
    return sa_exc.DBAPIError.instance(
        sql, args, exc, dialect.loaded_dbapi.Error,
        connection_invalidated=lost, dialect=dialect)


def _autocommit(dialect, driver_connection):
    """Put a psycopg2 connection in autocommit (no BEGIN, no ROLLBACK).

    The switch is local to the driver outside a transaction, and the pool
    hands out connections outside one. SQLite's connections are already in
    autocommit under oslo.db (it emits BEGIN itself); PyMySQL would need a
    round trip to switch, so MySQL reads keep the driver's transaction.
    """
    if dialect.driver != 'psycopg2' or driver_connection.autocommit:
        return False
    driver_connection.autocommit = True
    return True
