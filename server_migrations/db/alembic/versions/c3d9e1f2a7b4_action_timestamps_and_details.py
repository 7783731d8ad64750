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

"""Instance actions: timestamps, soft delete; events: why they ended.

Revision ID: c3d9e1f2a7b4
Revises: a1b2c3d4e5f6
Create Date: 2026-12-06 03:00:00

The instance-actions API pages and filters on ``updated_at`` and sorts on
``created_at``, as the reference does; an event's ``details`` says in words
why it ended (microversion 2.84). Existing rows get their timestamps from
``start_time`` (and ``finish_time``) so that they keep their order.

Each column is added only if it is missing, so an interrupted run on a
backend without transactional DDL is finished by running "db sync" again.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'c3d9e1f2a7b4'
down_revision = 'a1b2c3d4e5f6'
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def _columns():
    common = [sa.Column('created_at', DateTime),
              sa.Column('updated_at', DateTime),
              sa.Column('deleted_at', DateTime),
              sa.Column('deleted', sa.Integer, nullable=False,
                        server_default='0')]
    yield 'instance_actions', common
    yield 'instance_actions_events', (
        [sa.Column(c.name, c.type, nullable=c.nullable,
                   server_default=c.server_default) for c in common] +
        [sa.Column('details', sa.Text)])


def upgrade():
    inspector = sa.inspect(op.get_bind())
    for table, columns in _columns():
        existing = {c['name'] for c in inspector.get_columns(table)}
        missing = [c for c in columns if c.name not in existing]
        if missing:
            with op.batch_alter_table(table) as batch:
                for column in missing:
                    batch.add_column(column)
    bind = op.get_bind()
    actions = sa.table('instance_actions', sa.column('created_at'),
                       sa.column('updated_at'), sa.column('start_time'),
                       sa.column('finish_time'))
    events = sa.table('instance_actions_events', sa.column('created_at'),
                      sa.column('updated_at'), sa.column('start_time'),
                      sa.column('finish_time'))
    for table in (actions, events):
        bind.execute(table.update().where(table.c.created_at.is_(None))
                     .values(created_at=table.c.start_time))
        bind.execute(table.update().where(table.c.updated_at.is_(None))
                     .values(updated_at=sa.func.coalesce(
                         table.c.finish_time, table.c.start_time)))
    existing = {i['name'] for i in inspector.get_indexes('instance_actions')}
    if 'instance_actions_instance_uuid_updated_at_idx' not in existing:
        op.create_index('instance_actions_instance_uuid_updated_at_idx',
                        'instance_actions', ['instance_uuid', 'updated_at'])
