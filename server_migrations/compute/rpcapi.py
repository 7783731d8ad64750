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
"""

import functools
import threading
import time

import kombu.exceptions as kombu_exc
from oslo_log import log as logging
import oslo_messaging as messaging

from server_migrations import compute
from server_migrations.compute import cast_guard
from server_migrations.db import api as db_api
from server_migrations import exception
from server_migrations import rpc

LOG = logging.getLogger(__name__)

# What a cast raises when the broker does not take the message. The rabbit
# driver opens its first connection outside its retry wrapper, so a broker
# that is down surfaces as kombu's (or the socket's) error, not as a
# MessagingException.
_BROKER_ERRORS = (messaging.MessagingException, kombu_exc.KombuError,
                  OSError)

# Routing key of the probe message: no queue is bound to it, so the broker
# accepts and drops it.
PROBE_TOPIC = 'server_migrations_probe'


class ComputeAPI:
    """Casts to the compute agent of a host.

    A cast either reaches the broker within ``[api] cast_timeout`` seconds
    or fails with ``MessagingUnavailable`` and is never sent afterwards
    (see ``cast_guard``), so the API can answer 503 with nothing changed.

    API version history:

    * 1.0 - Initial version: ``live_migration``,
      ``live_migration_force_complete`` and ``live_migration_abort``.
    """

    VERSION = '1.0'
    TOPIC = rpc.TOPIC

    def __init__(self, conf):
        self.conf = conf
        self._lock = threading.Lock()
        self._client = None
        self._generation = None
        self._warming = None

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
        live = db_api.service_get_live(context, compute.BINARY,
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
        """Create the client now and open its broker connection.

        The connection is opened by a probe cast in a background thread, so
        a slow or absent broker does not delay start-up, and the first
        request does not pay for the connection (about 100 ms with
        RabbitMQ on loopback). Call it in the process that serves requests
        (after a WSGI server's fork): a forked child never uses its
        parent's connections (see ``rpc``) and would open its own anyway.
        """
        client = self._get_client(context)
        if self._in_process():
            return None
        probe = functools.partial(
            client.prepare(topic=PROBE_TOPIC, version=self.VERSION,
                           retry=0).cast, context, 'probe')
        attempt = cast_guard.GuardedCast(
            probe=probe, send=lambda: None,
            timeout=self.conf.api.cast_timeout, what='the connection probe')

        def _open():
            try:
                attempt.run()
            except Exception as exc:
                LOG.warning('Could not open the broker connection yet (%s); '
                            'the first cast will', exc)

        thread = threading.Thread(target=_open, daemon=True,
                                  name='broker connection warm-up')
        self._warming = thread
        thread.start()
        return thread

    def _wait_for_warm_up(self, timeout):
        """Wait up to ``timeout`` s for the warm-up; return the time left.

        A cast during the warm-up would open a second pooled connection; it
        waits for the first instead, within its own bound.
        """
        warming = self._warming
        if warming is None:
            return timeout
        started = time.monotonic()
        # The warm-up's own guard may overrun its bound by the same margin.
        warming.join(timeout + min(1.0, timeout / 4.0))
        if not warming.is_alive():
            self._warming = None
        return timeout - (time.monotonic() - started)

    def can_send_version(self, context, version):
        return self._get_client(context).can_send_version(version)

    # -- casts -------------------------------------------------------------

    def _cast(self, context, host, method, version='1.0', **kwargs):
        if not host:
            raise exception.ServerMigrationsException(
                'Unable to find the host to send %s to.' % method)
        client = self._get_client(context)
        # retry=0: a broker that refuses the message fails the request
        # (the API answers 503 with nothing changed) instead of hanging.
        cctxt = client.prepare(server=host, version=version, retry=0)
        if self._in_process():
            send = functools.partial(cctxt.cast, context, method, **kwargs)
            return self._translate(send, method, host)
        timeout = self._wait_for_warm_up(self.conf.api.cast_timeout)
        if timeout <= 0:
            # The broker did not even answer the warm-up's probe in time.
            raise exception.MessagingUnavailable()
        attempt = cast_guard.GuardedCast(
            probe=functools.partial(
                client.prepare(topic=PROBE_TOPIC, version=version,
                               retry=1).cast, context, 'probe'),
            send=functools.partial(cctxt.cast, context, method, **kwargs),
            timeout=timeout, what='%s to %s' % (method, host))
        self._translate(attempt.run, method, host)

    def _in_process(self):
        # The fake driver has no broker that could be away; a probe there
        # would only pile up in an unconsumed in-memory queue.
        url = messaging.TransportURL.parse(self.conf,
                                           self.conf.transport_url)
        return (url.transport or 'rabbit') == 'fake'

    @staticmethod
    def _translate(send, method, host):
        try:
            send()
        except messaging.RPCVersionCapError:
            raise  # a bug of the caller, not the broker's fault
        except _BROKER_ERRORS as exc:
            LOG.warning('Cast of %(method)s to %(host)s failed: %(exc)s',
                        {'method': method, 'host': host, 'exc': exc})
            raise exception.MessagingUnavailable()

    def live_migration(self, context, host, instance_uuid, migration_id,
                       block_migration):
        """Start a live migration on its source ``host``."""
        self._cast(context, host, 'live_migration',
                   instance_uuid=instance_uuid, migration_id=migration_id,
                   block_migration=block_migration)

    def live_migration_force_complete(self, context, host, instance_uuid,
                                      migration_id):
        """Ask the source ``host`` to force a migration to complete."""
        self._cast(context, host, 'live_migration_force_complete',
                   instance_uuid=instance_uuid, migration_id=migration_id)

    def live_migration_abort(self, context, host, instance_uuid,
                             migration_id):
        """Ask the server's ``host`` to abort a migration."""
        self._cast(context, host, 'live_migration_abort',
                   instance_uuid=instance_uuid, migration_id=migration_id)
