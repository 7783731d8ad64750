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

"""agent_actions: every accepted action, until its agent has carried it out.

Revision ID: c7d1e2f3a4b5
Revises: a1b2c3d4e5f6
Create Date: 2026-12-06 03:00:00

Created only if missing, so an interrupted run on a backend without
transactional DDL is finished by running "db sync" again.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'c7d1e2f3a4b5'
down_revision = 'a1b2c3d4e5f6'
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')

INDEXES = (('agent_actions_host_state_idx', ['host', 'state']),
           ('agent_actions_migration_id_idx', ['migration_id']))


def upgrade():
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table('agent_actions'):
        op.create_table(
            'agent_actions',
            sa.Column('id', sa.Integer, primary_key=True,
                      autoincrement=True),
            sa.Column('action_id', sa.Integer,
                      sa.ForeignKey('instance_actions.id'), nullable=False),
            sa.Column('instance_uuid', sa.String(36), nullable=False),
            sa.Column('migration_id', sa.Integer, nullable=False),
            sa.Column('host', sa.String(255), nullable=False),
            sa.Column('method', sa.String(64), nullable=False),
            sa.Column('block_migration', sa.String(8)),
            sa.Column('request_id', sa.String(255)),
            sa.Column('user_id', sa.String(255)),
            sa.Column('project_id', sa.String(255)),
            sa.Column('state', sa.String(16), nullable=False),
            sa.Column('created_at', DateTime),
            sa.Column('claimed_at', DateTime),
            sa.Column('finished_at', DateTime),
            sa.Column('result', sa.String(16)),
            sa.Column('detail', sa.Text),
            mysql_engine='InnoDB', mysql_charset='utf8mb4')
    present = {i['name'] for i in
               sa.inspect(op.get_bind()).get_indexes('agent_actions')}
    for name, columns in INDEXES:
        if name not in present:
            op.create_index(name, 'agent_actions', columns)


def downgrade():
    op.drop_table('agent_actions')
