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

"""agent_actions.parameters: what an action needs beyond its ids (JSON).

Revision ID: d4e8f1a2b3c6
Revises: c7d1e2f3a4b5
Create Date: 2026-12-06 04:00:00

A nullable text column (a tune's maximum downtime and bandwidth); added
only if missing, so an interrupted run is finished by "db sync" again.
"""

from alembic import op
import sqlalchemy as sa

revision = 'd4e8f1a2b3c6'
down_revision = 'c7d1e2f3a4b5'
branch_labels = None
depends_on = None


def _columns():
    return {c['name'] for c in
            sa.inspect(op.get_bind()).get_columns('agent_actions')}


def upgrade():
    if 'parameters' not in _columns():
        op.add_column('agent_actions',
                      sa.Column('parameters', sa.Text, nullable=True))


def downgrade():
    if 'parameters' in _columns():
        with op.batch_alter_table('agent_actions') as batch:
            batch.drop_column('parameters')
