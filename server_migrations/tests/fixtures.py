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

"""Fixtures shared by the test suites: config, database, policy, RPC.

Also the data factories every suite uses to write its instance and
migration rows (``make_instance``, ``make_migration``), written once.
"""

import copy
import os
import shutil
import tempfile
import threading

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_db.sqlalchemy import test_fixtures
from oslo_db.sqlalchemy import test_migrations
from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations.cmd import wsgi_server
from server_migrations import conf as sm_conf
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migration
from server_migrations.db import migrations as db_migrations
from server_migrations.db import models
from server_migrations import policies
from server_migrations import policy
from server_migrations import rpc


class ConfFixture(config_fixture.Config):
    """A private, fully registered ConfigOpts; no file under /etc is read."""

    def __init__(self):
        super().__init__(cfg.ConfigOpts())

    def setUp(self):
        super().setUp()
        sm_conf.register_opts(self.conf)
        rpc.register_opts(self.conf)
        # An empty list, not None: None makes oslo.config search /etc.
        self.conf([], project='server-migrations', default_config_files=[])
        state = self.useFixture(fixtures.TempDir()).path
        self.config(state_path=state, host='test-host',
                    transport_url='fake:/')
        self.config(auth_strategy='noauth2', group='api')
        self.config(step_seconds=0.01, group='fake_driver')


class _SchemaMixin(test_fixtures.GeneratesSchema):

    def get_enginefacade(self):
        return db_engine._CTX

    def generate_schema_create_all(self, engine):
        models.BASE.metadata.create_all(engine)


class Database(_SchemaMixin, test_fixtures.AdHocDbFixture):
    """A fresh SQLite file database per test, schema from the models.

    A file rather than ``sqlite://``: an in-memory database is one shared
    connection, which breaks as soon as the agent's threads and the API
    write at the same time, as they do in production.
    """

    def __init__(self):
        self._dir = tempfile.mkdtemp(prefix='sm-db-')
        super().__init__(url='sqlite:///%s' % os.path.join(
            self._dir, 'test.sqlite'))

    def _cleanup(self):
        super()._cleanup()
        shutil.rmtree(self._dir, ignore_errors=True)


class MySQLDatabase(_SchemaMixin, test_fixtures.MySQLOpportunisticFixture):
    """A provisioned MySQL/MariaDB database (integration tests)."""


class PostgresqlDatabase(_SchemaMixin,
                         test_fixtures.PostgresqlOpportunisticFixture):
    """A provisioned PostgreSQL database (integration tests)."""


class MigrationsSync(test_migrations.ModelsMigrationsSync):
    """alembic's head against the models, on the case's ``self.engine``."""

    def get_metadata(self):
        return models.BASE.metadata

    def get_engine(self):
        return self.engine

    def db_sync(self, engine):
        migration.upgrade(engine)

    def include_object(self, object_, name, type_, reflected, compare_to):
        # alembic's own bookkeeping table is not one of our models.
        return not (type_ == 'table' and name == 'alembic_version')


class PolicyFixture(fixtures.Fixture):
    """The enforcer built from a deep copy of the default rules.

    oslo.policy mutates the RuleDefault objects it registers; a copy keeps
    one test's overrides from leaking into the next.
    """

    def __init__(self, conf, policy_file=None):
        self.conf = conf
        self.policy_file = policy_file

    def _setUp(self):
        policy.reset()
        self.addCleanup(policy.reset)
        if self.policy_file:
            self.conf.set_override('policy_file', self.policy_file,
                                   group='oslo_policy')
        self.enforcer = policy.init(
            self.conf, rules=copy.deepcopy(policies.list_rules()),
            suppress_deprecation_warnings=True)

    def set_rules(self, rules, overwrite=False):
        from oslo_policy import policy as oslo_policy
        self.enforcer.set_rules(oslo_policy.Rules.from_dict(rules),
                                overwrite=overwrite, use_conf=False)


class RPCFixture(fixtures.Fixture):
    """Process transports are closed and forgotten after the test."""

    def _setUp(self):
        rpc.reset()
        self.addCleanup(rpc.reset)


# What a row holds unless a test says otherwise: an active server of
# project p1 on h1, in the middle of a live migration to h2.
INSTANCE = {'project_id': 'p1', 'user_id': 'u1', 'host': 'h1', 'node': 'h1',
            'vm_state': 'active', 'task_state': 'migrating',
            'memory_mb': 1024, 'root_gb': 10, 'display_name': 'vm'}
MIGRATION = {'source_compute': 'h1', 'source_node': 'h1',
             'dest_compute': 'h2', 'dest_node': 'h2',
             'dest_host': '192.0.2.2', 'migration_type': 'live-migration',
             'status': 'running', 'user_id': 'u1', 'project_id': 'p1'}


def make_instance(context, **values):
    """Write an instance row: ``INSTANCE``, launched now, with ``values``.

    ``deleted=True`` soft-deletes the row once it is written.
    """
    row = dict(INSTANCE, launched_at=timeutils.utcnow())
    row.update(values)
    deleted = row.pop('deleted', 0)
    instance = db_instances.instance_create(context, row)
    if deleted:
        db_instances.instance_destroy(context, instance['uuid'])
    return instance


def make_migration(context, instance_uuid, **values):
    """Write a migration row of ``instance_uuid``: ``MIGRATION``, ``values``.

    ``deleted=True`` soft-deletes the row once it is written.
    """
    row = dict(MIGRATION, instance_uuid=instance_uuid)
    row.update(values)
    deleted = row.pop('deleted', 0)
    migration = db_migrations.migration_create(context, row)
    if deleted:
        db_migrations.migration_update(context, migration['id'],
                                       {'deleted': migration['id'],
                                        'deleted_at': timeutils.utcnow()})
    return migration


def integration_enabled():
    return os.environ.get('SERVER_MIGRATIONS_INTEGRATION') == '1'


class HTTPServer(fixtures.Fixture):
    """The embedded HTTP server on a free loopback port, serving ``app``.

    ``url`` is the versioned endpoint clients are given.
    """

    def __init__(self, app):
        super().__init__()
        self.app = app

    def _setUp(self):
        server = wsgi_server.make_server(self.app, '127.0.0.1', 0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(server.stop)
        self.port = server.address[1]
        self.url = 'http://127.0.0.1:%d/v2.1' % self.port


def accept_action(context, compute_rpcapi, uuid, migration_id, name, method,
                  host, cast=True, block_migration=None):
    """Commit an action as the API does, then wake its agent (unless told).

    :returns: ``(instance action id, agent action id)``.
    """
    # Imported here: the unit fixtures load before any agent code.
    from server_migrations.db import agent_actions
    with db_engine.writer(context):
        action_id = db_actions.action_start(context, uuid, name)
        ident = agent_actions.create(context, action_id, uuid, migration_id,
                                     host, method,
                                     block_migration=block_migration)
    if cast:
        kwargs = {'instance_uuid': uuid, 'migration_id': migration_id}
        if method == 'live_migration':
            kwargs['block_migration'] = block_migration
        compute_rpcapi.wake(context, host, method, ident, **kwargs)
    return action_id, ident


def agent_actions_of(context, action_id):
    """The agent actions recorded under an instance action, as dicts."""
    from server_migrations.db import agent_actions
    table = agent_actions.AGENT_ACTIONS
    with db_engine.reading(context) as conn:
        return db_engine.all_rows(conn, sa.select(table).where(
            table.c.action_id == action_id))
