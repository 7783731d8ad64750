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

"""agent_actions.parameters (JSON) and migration_convergence.

Revision ID: d4e8f1a2b3c6
Revises: c7d1e2f3a4b5
Create Date: 2026-12-06 04:00:00

agent_actions.parameters: a nullable text column with what an action needs
beyond its ids (a tune's maximum downtime and bandwidth).
migration_convergence: the agent's latest verdict on each running live
migration (converging, ETA, rates), for the operator's tools only.
Each added only if missing, so an interrupted run is finished by "db sync"
again.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'd4e8f1a2b3c6'
down_revision = 'c7d1e2f3a4b5'
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def _columns():
    return {c['name'] for c in
            sa.inspect(op.get_bind()).get_columns('agent_actions')}


def upgrade():
    if 'parameters' not in _columns():
        op.add_column('agent_actions',
                      sa.Column('parameters', sa.Text, nullable=True))
    if not sa.inspect(op.get_bind()).has_table('migration_convergence'):
        op.create_table(
            'migration_convergence',
            sa.Column('migration_id', sa.Integer, primary_key=True,
                      autoincrement=False),
            sa.Column('converging', sa.Boolean),
            sa.Column('eta', sa.Float),
            sa.Column('stalled_for', sa.Float),
            sa.Column('iteration', sa.Integer),
            sa.Column('dirty_rate', sa.BigInteger),
            sa.Column('transfer_rate', sa.BigInteger),
            sa.Column('expected_downtime', sa.Integer),
            sa.Column('updated_at', DateTime),
            mysql_engine='InnoDB', mysql_charset='utf8mb4')


def downgrade():
    if sa.inspect(op.get_bind()).has_table('migration_convergence'):
        op.drop_table('migration_convergence')
    if 'parameters' in _columns():
        with op.batch_alter_table('agent_actions') as batch:
            batch.drop_column('parameters')
