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

"""Client side of the compute agent RPC API (topic "compute").

Payloads are plain JSON-able values: ids and uuids, never ORM objects. The
agent re-reads the records it acts on, so a stale payload cannot overwrite
newer state.

A cast here is a wake-up, not the request itself: the API has already
committed the action to the database (``agent_actions``) when it casts, and
the agent polls for actions whose wake-up never arrived. So a cast never
fails a request and never holds one: it is handed to the process's single
sender thread (``waker``), which publishes it on the process's one broker
connection; a cast the broker does not take is dropped and logged.
"""

import threading

from oslo_log import log as logging
import oslo_messaging as messaging

from server_migrations import compute
from server_migrations.compute import waker
from server_migrations.db import services as db_services
from server_migrations import exception
from server_migrations import rpc

LOG = logging.getLogger(__name__)

# Routing key of the warm-up message that opens the broker connection at
# start-up: no queue is bound to it, so the broker accepts and drops it.
WARM_UP_TOPIC = 'server_migrations_warm_up'


class ComputeAPI:
    """Casts to the compute agent of a host.

    Casts are sent by the process's ``waker.Waker`` (one thread, one
    connection), or inline on the in-process ``fake://`` transport.

    API version history:

    * 1.0 - Initial version: ``live_migration``,
      ``live_migration_force_complete`` and ``live_migration_abort``.
    * 1.1 - The three casts carry ``action_id``, the id of the committed
      ``agent_actions`` row the agent claims before acting.
    * 1.2 - ``live_migration_tune`` (its parameters are in the action's
      row; the cast carries only ``action_id``).
    """

    VERSION = '1.2'
    TOPIC = rpc.TOPIC

    def __init__(self, conf):
        self.conf = conf
        self._lock = threading.Lock()
        self._client = None
        self._generation = None
        self._waker = waker.Waker()
        self._fake_transport = None

    # -- version cap -------------------------------------------------------

    def _version_cap(self, context):
        """The cap from [upgrade_levels] compute, or None (no cap).

        ``auto`` is the oldest version a live agent reports; with no live
        agent the client's own version is used and the answer is not cached,
        so the first agent to come up is honoured.
        """
        level = self.conf.upgrade_levels.compute
        if not level:
            return None, True
        if level != 'auto':
            return level, True
        live = db_services.service_get_live(context, compute.BINARY,
                                            self.conf.service_down_time)
        versions = [s['rpc_version'] for s in live if s['rpc_version']]
        if not versions:
            return self.VERSION, False
        oldest = min(versions, key=lambda v: tuple(int(p) for p in
                                                   v.split('.')))
        LOG.info('Compute RPC version capped at %s (oldest live agent)',
                 oldest)
        return oldest, True

    def _get_client(self, context):
        with self._lock:
            if (self._client is not None and
                    self._generation == rpc.generation()):
                return self._client
            self._client = None
            cap, cacheable = self._version_cap(context)
            target = messaging.Target(topic=self.TOPIC, version=self.VERSION)
            client = rpc.get_client(self.conf, target, version_cap=cap)
            if cacheable:
                self._client = client
                self._generation = rpc.generation()
            return client

    def warm(self, context):
        """Start the sender and open its broker connection now.

        The first action would otherwise pay for the connection (about
        100 ms with RabbitMQ on loopback). Call it in the process that
        serves requests (after a WSGI server's fork): a forked child never
        uses its parent's connections (see ``rpc``).
        """
        if self._in_process():
            return
        self._waker.submit(self._warm_up, context, what='the warm-up')

    def _warm_up(self, context):
        client = self._get_client(context)
        client.prepare(topic=WARM_UP_TOPIC, version='1.0',
                       retry=0).cast(context, 'warm_up')

    def can_send_version(self, context, version):
        return self._get_client(context).can_send_version(version)

    def wake(self, context, host, method, action_id, min_version=None,
             **kwargs):
        """Cast ``method`` to ``host``'s agent for its committed action.

        Never raises and never waits for the broker: the action is in the
        database already, and the agent finds it by polling if this cast is
        lost. ``kwargs`` are the 1.0 arguments, for agents capped there.
        ``min_version``: the method needs at least this version; under a
        lower cap no cast is sent (an agent that new polls the row).
        """
        if self._in_process():
            try:
                self._send(context, host, method, action_id, kwargs,
                           min_version)
            except Exception:
                LOG.exception('Could not cast %(method)s to %(host)s; its '
                              'agent will find action %(id)s by polling',
                              {'method': method, 'host': host,
                               'id': action_id})
        else:
            self._waker.submit(self._send, context, host, method, action_id,
                               kwargs, min_version,
                               what='%s to %s' % (method, host))

    def _send(self, context, host, method, action_id, kwargs,
              min_version=None):
        if not host:
            raise exception.ServerMigrationsException(
                'Unable to find the host to send %s to.' % method)
        client = self._get_client(context)
        version = '1.0'
        if min_version is not None:
            if not client.can_send_version(min_version):
                LOG.info('Not casting %(method)s to %(host)s: it needs RPC '
                         '%(version)s; an agent that new finds action '
                         '%(id)s by polling', {'method': method,
                                               'host': host, 'id': action_id,
                                               'version': min_version})
                return
            version = min_version
            kwargs = dict(kwargs, action_id=action_id)
        elif client.can_send_version('1.1'):
            version = '1.1'
            kwargs = dict(kwargs, action_id=action_id)
        # retry=0: a broker that is away drops the wake-up at once; the
        # agent's poll carries the action out.
        client.prepare(server=host, version=version, retry=0).cast(
            context, method, **kwargs)

    def _in_process(self):
        # oslo.messaging's in-memory transport cannot block: no thread.
        if self._fake_transport is None:
            url = messaging.TransportURL.parse(self.conf,
                                               self.conf.transport_url)
            self._fake_transport = (url.transport or 'rabbit') == 'fake'
        return self._fake_transport
