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

"""SQLAlchemy models; table and column names are a contract with operators."""

from oslo_db.sqlalchemy import models
from oslo_utils import timeutils
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy import orm

from server_migrations import migration_states as states


BASE = orm.declarative_base()

# Microsecond timestamps on every backend (MySQL's DATETIME drops them).
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


class _Timestamps:
    created_at = sa.Column(DateTime, default=timeutils.utcnow)
    updated_at = sa.Column(DateTime, onupdate=timeutils.utcnow)


class _Base(models.ModelBase, _Timestamps):
    """Created/updated timestamps and the soft-delete columns of Nova."""

    deleted_at = sa.Column(DateTime)
    deleted = sa.Column(sa.Integer, nullable=False, default=0)


class Instance(BASE, _Base):
    """A server, as far as live migration needs to know it."""

    __tablename__ = 'instances'
    __table_args__ = (
        sa.Index('instances_host_deleted_idx', 'host', 'deleted'),
        sa.Index('instances_project_id_deleted_idx', 'project_id', 'deleted'),
    )

    uuid = sa.Column(sa.String(36), primary_key=True)
    project_id = sa.Column(sa.String(255))
    user_id = sa.Column(sa.String(255))
    host = sa.Column(sa.String(255))
    node = sa.Column(sa.String(255))
    vm_state = sa.Column(sa.String(255))
    task_state = sa.Column(sa.String(255))
    launched_at = sa.Column(DateTime)
    locked = sa.Column(sa.Boolean, nullable=False, default=False)
    locked_by = sa.Column(
        sa.Enum('owner', 'admin', name='instances0locked_by'))
    progress = sa.Column(sa.Integer)
    display_name = sa.Column(sa.String(255))
    memory_mb = sa.Column(sa.Integer)
    root_gb = sa.Column(sa.Integer)


class Migration(BASE, _Base):
    """A move of a server between hosts; the API's "server migration"."""

    __tablename__ = 'migrations'
    __table_args__ = (
        sa.Index('migrations_instance_uuid_and_status_idx',
                 'deleted', 'instance_uuid', 'status'),
        sa.Index('migrations_by_host_and_status_idx',
                 'deleted', 'source_compute', 'status'),
        sa.Index('migrations_by_dest_and_status_idx',
                 'deleted', 'dest_compute', 'status'),
        sa.UniqueConstraint('uuid', name='uniq_migrations0uuid'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36))
    instance_uuid = sa.Column(sa.String(36),
                              sa.ForeignKey('instances.uuid'))
    source_compute = sa.Column(sa.String(255))
    dest_compute = sa.Column(sa.String(255))
    source_node = sa.Column(sa.String(255))
    dest_node = sa.Column(sa.String(255))
    dest_host = sa.Column(sa.String(255))
    migration_type = sa.Column(
        sa.Enum(*states.TYPES, name='migration_type'))
    status = sa.Column(sa.String(255))
    hidden = sa.Column(sa.Boolean, nullable=False, default=False)
    memory_total = sa.Column(sa.BigInteger)
    memory_processed = sa.Column(sa.BigInteger)
    memory_remaining = sa.Column(sa.BigInteger)
    disk_total = sa.Column(sa.BigInteger)
    disk_processed = sa.Column(sa.BigInteger)
    disk_remaining = sa.Column(sa.BigInteger)
    user_id = sa.Column(sa.String(255))
    project_id = sa.Column(sa.String(255))


class Service(BASE, models.ModelBase, _Timestamps):
    """A compute agent: its RPC version and its last heartbeat."""

    __tablename__ = 'services'
    __table_args__ = (
        sa.UniqueConstraint('host', 'binary', 'deleted',
                            name='uniq_services0host0binary0deleted'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    host = sa.Column(sa.String(255), nullable=False)
    binary = sa.Column(sa.String(255), nullable=False)
    topic = sa.Column(sa.String(255))
    rpc_version = sa.Column(sa.String(32))
    disabled = sa.Column(sa.Boolean, nullable=False, default=False)
    last_seen_at = sa.Column(DateTime)
    deleted = sa.Column(sa.Integer, nullable=False, default=0)


class _ActionRecord(models.ModelBase, _Timestamps):
    """Timestamps and soft delete of the instance-action tables.

    Added after the first schema, hence the server default of ``deleted``.
    """

    deleted_at = sa.Column(DateTime)
    deleted = sa.Column(sa.Integer, nullable=False, default=0,
                        server_default='0')


class InstanceAction(BASE, _ActionRecord):
    """A user request on a server (e.g. live_migration_cancel)."""

    __tablename__ = 'instance_actions'
    __table_args__ = (
        sa.Index('instance_uuid_idx', 'instance_uuid'),
        sa.Index('request_id_idx', 'request_id'),
        # Paging and changes-since of the instance-actions API.
        sa.Index('instance_actions_instance_uuid_updated_at_idx',
                 'instance_uuid', 'updated_at'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    action = sa.Column(sa.String(255))
    instance_uuid = sa.Column(sa.String(36), nullable=False)
    request_id = sa.Column(sa.String(255))
    user_id = sa.Column(sa.String(255))
    project_id = sa.Column(sa.String(255))
    start_time = sa.Column(DateTime, default=timeutils.utcnow)
    finish_time = sa.Column(DateTime)
    message = sa.Column(sa.String(255))


class InstanceActionEvent(BASE, _ActionRecord):
    """What an agent did about an action, and whether it worked."""

    __tablename__ = 'instance_actions_events'
    __table_args__ = (
        sa.Index('instance_actions_events_action_id_idx', 'action_id'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    action_id = sa.Column(sa.Integer, sa.ForeignKey('instance_actions.id'),
                          nullable=False)
    event = sa.Column(sa.String(255))
    start_time = sa.Column(DateTime, default=timeutils.utcnow)
    finish_time = sa.Column(DateTime)
    result = sa.Column(sa.String(255))
    traceback = sa.Column(sa.Text)
    host = sa.Column(sa.String(255))
    # Why it ended, in words an operator can act on (see compute/reasons).
    details = sa.Column(sa.Text)


class AgentAction(BASE, models.ModelBase):
    """An accepted request a compute agent must carry out, until it has.

    Written in the same transaction as the request's instance action, so a
    202 always has its row. The cast that follows only wakes the agent up;
    the agent claims the row (``pending`` → ``claimed``, a compare-and-swap)
    before it acts, whether a cast or its periodic poll brought it there,
    and closes it (``done``) with the outcome.
    """

    __tablename__ = 'agent_actions'
    __table_args__ = (
        sa.Index('agent_actions_host_state_idx', 'host', 'state'),
        sa.Index('agent_actions_migration_id_idx', 'migration_id'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    action_id = sa.Column(sa.Integer, sa.ForeignKey('instance_actions.id'),
                          nullable=False)
    instance_uuid = sa.Column(sa.String(36), nullable=False)
    migration_id = sa.Column(sa.Integer, nullable=False)
    host = sa.Column(sa.String(255), nullable=False)
    method = sa.Column(sa.String(64), nullable=False)
    block_migration = sa.Column(sa.String(8))
    # JSON: what the method needs beyond the ids (a tune's values).
    parameters = sa.Column(sa.Text)
    request_id = sa.Column(sa.String(255))
    user_id = sa.Column(sa.String(255))
    project_id = sa.Column(sa.String(255))
    state = sa.Column(sa.String(16), nullable=False, default='pending')
    created_at = sa.Column(DateTime, default=timeutils.utcnow)
    claimed_at = sa.Column(DateTime)
    finished_at = sa.Column(DateTime)
    result = sa.Column(sa.String(16))
    detail = sa.Column(sa.Text)


class MigrationConvergence(BASE, models.ModelBase):
    """The agent's latest verdict on a running live migration.

    Not part of the reference API (its answers never show it): for the
    operator's ``migration show`` and ``watch``. One row per migration,
    rewritten at each progress report (``compute.convergence``).
    """

    __tablename__ = 'migration_convergence'

    migration_id = sa.Column(sa.Integer, primary_key=True,
                             autoincrement=False)
    converging = sa.Column(sa.Boolean)
    eta = sa.Column(sa.Float)
    stalled_for = sa.Column(sa.Float)
    iteration = sa.Column(sa.Integer)
    dirty_rate = sa.Column(sa.BigInteger)
    transfer_rate = sa.Column(sa.BigInteger)
    expected_downtime = sa.Column(sa.Integer)
    updated_at = sa.Column(DateTime)
