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

"""Initial schema: instances, migrations, services, instance actions.

Revision ID: a1b2c3d4e5f6
Revises:
Create Date: 2026-11-25 14:00:00

Each table is created only if it is missing, so that a run interrupted
half-way on a backend without transactional DDL (MySQL/MariaDB) is finished
by simply running "db sync" again.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'a1b2c3d4e5f6'
down_revision = None
branch_labels = None
depends_on = None

# Microsecond timestamps on every backend (MySQL's DATETIME drops them).
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def _timestamps():
    return [sa.Column('created_at', DateTime),
            sa.Column('updated_at', DateTime)]


def _soft_delete():
    return [sa.Column('deleted_at', DateTime),
            sa.Column('deleted', sa.Integer, nullable=False)]


def _tables():
    yield 'instances', [
        sa.Column('uuid', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(255)),
        sa.Column('user_id', sa.String(255)),
        sa.Column('host', sa.String(255)),
        sa.Column('node', sa.String(255)),
        sa.Column('vm_state', sa.String(255)),
        sa.Column('task_state', sa.String(255)),
        sa.Column('launched_at', DateTime),
        sa.Column('locked', sa.Boolean, nullable=False),
        sa.Column('locked_by', sa.Enum('owner', 'admin',
                                       name='instances0locked_by')),
        sa.Column('progress', sa.Integer),
        sa.Column('display_name', sa.String(255)),
        sa.Column('memory_mb', sa.Integer),
        sa.Column('root_gb', sa.Integer),
        *_timestamps(), *_soft_delete(),
    ], [('instances_host_deleted_idx', ['host', 'deleted']),
        ('instances_project_id_deleted_idx', ['project_id', 'deleted'])]

    yield 'migrations', [
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('uuid', sa.String(36)),
        sa.Column('instance_uuid', sa.String(36),
                  sa.ForeignKey('instances.uuid')),
        sa.Column('source_compute', sa.String(255)),
        sa.Column('dest_compute', sa.String(255)),
        sa.Column('source_node', sa.String(255)),
        sa.Column('dest_node', sa.String(255)),
        sa.Column('dest_host', sa.String(255)),
        sa.Column('migration_type', sa.Enum(
            'migration', 'resize', 'live-migration', 'evacuation',
            name='migration_type')),
        sa.Column('status', sa.String(255)),
        sa.Column('hidden', sa.Boolean, nullable=False),
        sa.Column('memory_total', sa.BigInteger),
        sa.Column('memory_processed', sa.BigInteger),
        sa.Column('memory_remaining', sa.BigInteger),
        sa.Column('disk_total', sa.BigInteger),
        sa.Column('disk_processed', sa.BigInteger),
        sa.Column('disk_remaining', sa.BigInteger),
        sa.Column('user_id', sa.String(255)),
        sa.Column('project_id', sa.String(255)),
        *_timestamps(), *_soft_delete(),
        sa.UniqueConstraint('uuid', name='uniq_migrations0uuid'),
    ], [('migrations_instance_uuid_and_status_idx',
         ['deleted', 'instance_uuid', 'status']),
        ('migrations_by_host_and_status_idx',
         ['deleted', 'source_compute', 'status']),
        ('migrations_by_dest_and_status_idx',
         ['deleted', 'dest_compute', 'status'])]

    yield 'services', [
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('binary', sa.String(255), nullable=False),
        sa.Column('topic', sa.String(255)),
        sa.Column('rpc_version', sa.String(32)),
        sa.Column('disabled', sa.Boolean, nullable=False),
        sa.Column('last_seen_at', DateTime),
        *_timestamps(),
        sa.Column('deleted', sa.Integer, nullable=False),
        sa.UniqueConstraint('host', 'binary', 'deleted',
                            name='uniq_services0host0binary0deleted'),
    ], []

    yield 'instance_actions', [
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('action', sa.String(255)),
        sa.Column('instance_uuid', sa.String(36), nullable=False),
        sa.Column('request_id', sa.String(255)),
        sa.Column('user_id', sa.String(255)),
        sa.Column('project_id', sa.String(255)),
        sa.Column('start_time', DateTime),
        sa.Column('finish_time', DateTime),
        sa.Column('message', sa.String(255)),
    ], [('instance_uuid_idx', ['instance_uuid']),
        ('request_id_idx', ['request_id'])]

    yield 'instance_actions_events', [
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('action_id', sa.Integer,
                  sa.ForeignKey('instance_actions.id'), nullable=False),
        sa.Column('event', sa.String(255)),
        sa.Column('start_time', DateTime),
        sa.Column('finish_time', DateTime),
        sa.Column('result', sa.String(255)),
        sa.Column('traceback', sa.Text),
        sa.Column('host', sa.String(255)),
    ], [('instance_actions_events_action_id_idx', ['action_id'])]


def upgrade():
    inspector = sa.inspect(op.get_bind())
    for name, columns, indexes in _tables():
        if not inspector.has_table(name):
            op.create_table(name, *columns, mysql_engine='InnoDB',
                            mysql_charset='utf8mb4')
        existing = {i['name'] for i in inspector.get_indexes(name)}
        for index_name, index_columns in indexes:
            if index_name not in existing:
                op.create_index(index_name, name, index_columns)
