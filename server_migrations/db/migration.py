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

"""Schema migrations: upgrade to head and report the current revision."""

import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration

_ALEMBIC_INI = os.path.join(os.path.dirname(__file__), 'alembic.ini')


def _config(connection):
    config = alembic_config.Config(_ALEMBIC_INI)
    config.attributes['connection'] = connection
    return config


def upgrade(engine, revision='head'):
    """Apply every migration up to ``revision`` (idempotent)."""
    with engine.begin() as connection:
        alembic_command.upgrade(_config(connection), revision)


def version(engine):
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        context = alembic_migration.MigrationContext.configure(connection)
        return context.get_current_revision()


def head():
    """The newest revision this code knows."""
    from alembic import script
    return script.ScriptDirectory.from_config(
        alembic_config.Config(_ALEMBIC_INI)).get_current_head()
