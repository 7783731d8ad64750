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

"""One compute agent: RPC server, heartbeats, start-up and shutdown.

Holds no module-level state: a process (``server-migrations-compute``) or a
test can run several agents side by side, each with its own host name.
"""

import threading
import time

from oslo_log import log as logging
import oslo_messaging as messaging

from server_migrations import compute
from server_migrations.compute import manager as compute_manager
from server_migrations.compute import poller
from server_migrations import context as sm_context
from server_migrations.db import services as db_services
from server_migrations import rpc

LOG = logging.getLogger(__name__)


class ComputeService:
    """A compute agent for ``host`` (default ``[DEFAULT] host``).

    ``start()`` settles what a previous run left in flight, registers the
    agent in ``services`` and starts consuming casts; ``stop()`` cancels
    queued migrations, aborts running ones and stops consuming.
    """

    def __init__(self, conf, host=None, driver=None, notifier=None):
        self.conf = conf
        self.host = host or conf.host
        self.manager = compute_manager.ComputeManager(
            conf, self.host, driver=driver, notifier=notifier)
        self._server = None
        self._heartbeat_thread = None
        self._poll_thread = None
        self.poller = poller.ActionPoller(conf, self.host, self.manager)
        self._stopped = threading.Event()
        self._healthy = True

    @property
    def rpc_version(self):
        return compute_manager.ComputeEndpoint.target.version

    def start(self):
        self._stopped.clear()
        self.manager.init_host()
        self.heartbeat()
        target = messaging.Target(topic=rpc.TOPIC, server=self.host)
        self._server = rpc.get_server(
            self.conf, target, [compute_manager.ComputeEndpoint(self.manager)])
        self._server.start()
        self._heartbeat_thread = threading.Thread(
            target=self._heartbeat_loop, name='heartbeat-%s' % self.host,
            daemon=True)
        self._heartbeat_thread.start()
        self._poll_thread = threading.Thread(
            target=self._poll_loop, name='action-poll-%s' % self.host,
            daemon=True)
        self._poll_thread.start()
        LOG.info('Compute agent %(host)s started (RPC %(version)s)',
                 {'host': self.host, 'version': self.rpc_version})

    def heartbeat(self):
        """Record that this agent is alive; a failure is only logged.

        An agent whose hypervisor does not answer (libvirtd down) keeps
        running but stops heartbeating, so it shows as down in
        ``service list`` and is not chosen as a destination until the
        hypervisor is back.
        """
        if not self._hypervisor_healthy():
            return False
        try:
            db_services.service_heartbeat(
                sm_context.get_admin_context(), self.host, compute.BINARY,
                rpc.TOPIC, self.rpc_version)
            return True
        except Exception:
            LOG.exception('Heartbeat of %s failed', self.host)
            return False

    def _hypervisor_healthy(self):
        try:
            healthy = bool(self.manager.driver.is_healthy())
        except Exception:
            LOG.exception('Health check of the %s hypervisor failed',
                          self.host)
            healthy = False
        if healthy != self._healthy:
            if healthy:
                LOG.info('Hypervisor of %s answers again; heartbeats '
                         'resume', self.host)
            else:
                LOG.error('Hypervisor of %s does not answer; the agent '
                          'reports itself down until it does', self.host)
            self._healthy = healthy
        return healthy

    def _heartbeat_loop(self):
        interval = self.conf.compute.heartbeat_interval
        while not self._stopped.wait(interval):
            self.heartbeat()

    def _poll_loop(self):
        """Take the actions no cast brought; the first round at once."""
        interval = self.conf.compute.action_poll_interval
        while not self._stopped.is_set():
            try:
                self.poller.poll()
            except Exception:
                LOG.exception('Polling the actions of %s failed', self.host)
            self._stopped.wait(interval)

    def stop(self, timeout=25.0):
        """Stop within about ``timeout`` seconds, migrations settled."""
        self._stopped.set()
        if self._server is not None:
            # No new casts; those being handled finish below.
            self._server.stop()
        self.manager.cleanup_host(timeout)
        if self._server is not None:
            self._server.wait()
            self._server = None
        # Both wake at once on _stopped; 5 s in all for a database call
        # that is still finishing.
        deadline = time.monotonic() + 5
        for thread in (self._heartbeat_thread, self._poll_thread):
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        self._heartbeat_thread = self._poll_thread = None
        try:
            # Down at once rather than after service_down_time, so it is not
            # chosen as a destination while it is gone.
            db_services.service_mark_down(sm_context.get_admin_context(),
                                          self.host, compute.BINARY)
        except Exception:
            LOG.exception('Could not mark %s down', self.host)
        LOG.info('Compute agent %s stopped', self.host)
