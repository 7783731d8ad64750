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

"""The compute agent's RPC endpoint and the manager behind it.

The manager takes an agent method (a cast, or an action the poll found),
claims it, makes its event and hands it to the component that carries it
out. It owns those components, each given what it needs:

- ``jobs`` (``registry.JobRegistry``): queued and running migrations;
- ``events`` (``events.Recorder``): their instance action events;
- ``endings`` (``endings.Endings``): the terminal status compare-and-swap;
- ``runner`` (``runner.Runner``): a migration from start request to end;
- ``actions`` (``copy_actions.CopyActions``): force-complete, abort, tune;
- ``recovery`` (``recovery.Recovery``): start-up and shutdown.

Whatever races (an abort, a force-complete, the copy itself, a shutdown),
exactly one writer moves a migration to its terminal status.
"""

from oslo_log import log as logging
import oslo_messaging as messaging

from server_migrations import action_names as names
from server_migrations.compute import copy_actions
from server_migrations.compute import endings as compute_endings
from server_migrations.compute import events as compute_events
from server_migrations.compute import notifications
from server_migrations.compute import outbox as compute_outbox
from server_migrations.compute import recovery as compute_recovery
from server_migrations.compute import registry
from server_migrations.compute import runner as compute_runner
from server_migrations.db import agent_actions
from server_migrations.virt import driver as virt_driver

LOG = logging.getLogger(__name__)


class ComputeManager:
    """What the agent does for the casts of topic ``compute`` to its host.

    Methods take plain ids; records are re-read here, so a late or repeated
    cast acts on the current state, never on what the sender saw. The RPC
    server sees it through ``ComputeEndpoint``.
    """

    def __init__(self, conf, host, driver=None, notifier=None):
        self.conf = conf
        self.host = host
        self.driver = driver or virt_driver.load_driver(conf, host)
        self.notifier = notifications.Notifier(conf, host, notifier)
        self.outbox = compute_outbox.Outbox()
        self.jobs = registry.JobRegistry()
        self.events = compute_events.Recorder(host, self.outbox)
        self.endings = compute_endings.Endings(host, self.jobs, self.outbox)
        self.runner = compute_runner.Runner(conf, host, self.driver,
                                            self.notifier, self.jobs,
                                            self.endings)
        self.actions = copy_actions.CopyActions(self.driver, self.notifier,
                                                self.jobs, self.endings)
        self.recovery = compute_recovery.Recovery(conf, host, self.driver,
                                                  self.jobs, self.endings)

    # -- lifecycle ---------------------------------------------------------

    def init_host(self):
        """Start: connect the driver, take jobs, settle leftovers."""
        self.recovery.start()

    def cleanup_host(self, timeout=25.0):
        """Stop: cancel queued migrations, abort running ones."""
        self.recovery.stop(timeout)

    # -- taking an action --------------------------------------------------

    def take_action(self, context, ident):
        """Claim committed action ``ident`` for this host and carry it out.

        A cast and the poll may both bring the same action here, or a cast
        may arrive twice: only the caller that wins the claim acts.
        :returns: True if this call carried it out.
        """
        row = agent_actions.claim(context, ident, self.host)
        if row is None:
            LOG.info('Action %s is taken already or not for %s', ident,
                     self.host)
            return False
        block = row['block_migration']
        if block not in (None, 'auto'):
            block = block == 'True'
        self._dispatch(context, row['method'], row['instance_uuid'],
                       row['migration_id'], block, row)
        return True

    def take_cast(self, context, method, instance_uuid, migration_id,
                  block_migration=None, action_id=None):
        """Carry out a cast.

        With ``action_id`` (1.1) its action; else (1.0) the migration's
        pending actions of that kind, or with none a bare cast from a test
        or a tool, of which nothing is recorded.
        """
        if action_id is not None:
            self.take_action(context, action_id)
            return
        pending = agent_actions.pending_for_migration(context, migration_id,
                                                      method)
        for ident in pending:
            self.take_action(context, ident)
        if not pending:
            self._dispatch(context, method, instance_uuid, migration_id,
                           block_migration, None)

    def _dispatch(self, context, method, instance_uuid, migration_id,
                  block_migration, row):
        event = self.events.event(
            context, instance_uuid, method,
            action_id=row['action_id'] if row else None,
            agent_action_id=row['id'] if row else None)
        if method == names.START:
            self.runner.accept(context, instance_uuid, migration_id,
                               block_migration, event)
        elif method == names.FORCE_COMPLETE:
            self.actions.force_complete(context, instance_uuid, migration_id,
                                        event)
        elif method == names.ABORT:
            self.actions.abort(context, instance_uuid, migration_id, event)
        elif method == names.TUNE:
            self.actions.tune(
                context, instance_uuid, migration_id, event,
                agent_actions.parameters_of(row) if row else {})
        else:
            event.finish(False, 'Unknown action %r' % method)


class ComputeEndpoint:
    """What the RPC server exposes: the three casts, nothing else.

    oslo.messaging dispatches to every public method of an endpoint; the
    manager's own (start-up, shutdown, status swaps) must not be callable
    from the bus. From 1.1 each cast names its committed action
    (``action_id``); a 1.0 cast is matched to the migration's pending ones.
    """

    target = messaging.Target(version='1.2')

    def __init__(self, manager):
        self._manager = manager

    def live_migration(self, context, instance_uuid, migration_id,
                       block_migration, action_id=None):
        self._manager.take_cast(context, names.START, instance_uuid,
                                migration_id, block_migration, action_id)

    def live_migration_force_complete(self, context, instance_uuid,
                                      migration_id, action_id=None):
        self._manager.take_cast(context, names.FORCE_COMPLETE, instance_uuid,
                                migration_id, action_id=action_id)

    def live_migration_abort(self, context, instance_uuid, migration_id,
                             action_id=None):
        self._manager.take_cast(context, names.ABORT, instance_uuid,
                                migration_id, action_id=action_id)

    def live_migration_tune(self, context, instance_uuid, migration_id,
                            action_id=None):
        """1.2: its values are in the action's row."""
        self._manager.take_cast(context, names.TUNE, instance_uuid,
                                migration_id, action_id=action_id)
