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

"""Real QEMU guests live-migrated between two real libvirtd hosts.

Two libvirtd daemons in network namespaces (``hypervisors``), a tiny TCG
guest that dirties memory (``guest``), two real agents with the libvirt
driver over RabbitMQ and PostgreSQL, and the HTTP API (openstacksdk) to
drive them. Every wait names its step; a hang fails the test with that
name. Skipped, with the reason, where the machine cannot run it.
"""

import os
import re

import fixtures
import openstack
from oslo_utils import uuidutils
from testtools import content as testtools_content

from server_migrations.api import deploy
from server_migrations.db import engine as db_engine
from server_migrations.db import migrations as db_migrations
from server_migrations.tests import base
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.integration import agents
from server_migrations.tests.integration import backends
from server_migrations.tests.integration import guest
from server_migrations.tests.integration import hypervisors

libvirt = hypervisors.libvirt
libvirt_qemu = None
if libvirt is not None:
    import libvirt_qemu

# The busy guest dirties 48 MiB over and over; at 16 MiB/s a migration
# never converges on its own (QEMU's default downtime is 300 ms).
BUSY_MIB = 48
QUIET_MIB = 1
BANDWIDTH = 16
STEP = 60          # seconds any one step may take
TERMINAL = ('completed', 'failed', 'error', 'cancelled')


def step(what, predicate, timeout=STEP):
    return agents.wait_for(predicate, timeout, 'step "%s"' % what)


class _LibvirtHostsMixin:

    def setUp(self):
        super().setUp()
        reason = hypervisors.unavailable()
        if reason:
            self.skipTest('real libvirt hosts unavailable: %s' % reason)
        libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
        self.pair = self.useFixture(hypervisors.HypervisorPair())
        for host in (self.pair.a, self.pair.b):
            self.addOnException(lambda _exc, host=host: self.addDetail(
                'libvirtd-' + host.name,
                testtools_content.text_content(host.log())))
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.conf_fixture.config(transport_url=agents.RABBIT_URL)
        self.database_url = db_engine.get_engine().url.render_as_string(
            hide_password=False)
        self.kernels = {mib: guest.write_kernel(
            os.path.join(self.tmp, 'dirty-%d.bin' % mib), mib)
            for mib in (BUSY_MIB, QUIET_MIB)}
        self.sdk = self._api()

    # -- set-up ------------------------------------------------------------

    def _api(self):
        http = self.useFixture(sm_fixtures.HTTPServer(
            deploy.loadapp(self.conf)))
        return openstack.connect(
            auth_type='admin_token',
            auth={'endpoint': http.url, 'token': 'admin:p1'},
            compute_api_version='2.80', load_yaml_config=False,
            load_envvars=False)

    def agent(self, host, post_copy=False):
        libvirt_opts = {
            'connection_uri': host.uri,
            'live_migration_uri': 'qemu+tcp://%s/system',
            'live_migration_inbound_uri': 'tcp://%s',
            # The agents stay in the root namespace: they reach a peer's
            # daemon through its unix socket.
            'peer_connection_uri': 'qemu+unix:///system?socket=%s' %
                                   os.path.join(self.pair.base, '%s', 'run',
                                                'libvirt-sock'),
            'live_migration_bandwidth': BANDWIDTH,
            'live_migration_permit_post_copy': post_copy,
            'live_migration_monitor_interval': 1,
            'live_migration_completion_timeout': 0,
        }
        proc = agents.AgentProcess(
            self.tmp, host.name, self.database_url, '',
            extra={'compute': {'driver': 'libvirt'}, 'libvirt': libvirt_opts})
        self.addCleanup(proc.kill)
        self.addOnException(lambda _exc: self.addDetail(
            'agent-' + host.name, testtools_content.text_content(
                proc.log())))
        proc.start(self.context)
        return proc

    def agents(self, post_copy=False):
        return (self.agent(self.pair.a, post_copy),
                self.agent(self.pair.b))

    def boot(self, dirty_mib):
        """A guest running on host a, and its server record."""
        uuid = uuidutils.generate_uuid()
        conn = libvirt.open(self.pair.a.uri)
        self.addCleanup(conn.close)
        domain = conn.defineXML(guest.domain_xml(
            'guest-' + uuid[:8], uuid, self.kernels[dirty_mib]))
        domain.create()
        sm_fixtures.make_instance(
            self.context, uuid=uuid, host=self.pair.a.name,
            node=self.pair.a.name, memory_mb=128, root_gb=0,
            task_state=None, project_id='p1')
        # Firmware first, under TCG: the kernel's loop must be running
        # before the migration starts, or there is nothing to dirty.
        step('the guest kernel runs on %s' % self.pair.a.name,
             lambda: (self.state(self.pair.a, uuid) or (0, 0))[1] > 0)
        return uuid

    # -- the API -----------------------------------------------------------

    def migrate(self, uuid):
        self.sdk.compute.live_migrate_server(uuid, host=self.pair.b.name,
                                             block_migration='auto')
        return step('the migration is listed', lambda: next(
            iter(self.sdk.compute.server_migrations(uuid)), None)).id

    def status(self, mid):
        return db_migrations.migration_get(self.context, mid)['status']

    def wait_status(self, mid, statuses=TERMINAL, timeout=STEP):
        return step('migration %s becomes %s' % (mid, '/'.join(statuses)),
                    lambda: self.status(mid) in statuses and self.status(mid),
                    timeout)

    def wait_copying(self, uuid, mid):
        """Running, with memory progress reported through the API."""
        def copying():
            for item in self.sdk.compute.server_migrations(uuid):
                if (item.id == mid and item.status == 'running' and
                        item.memory_processed_bytes):
                    return item
        return step('migration %s copies memory' % mid, copying)

    def api_host(self, uuid):
        server = self.sdk.compute.get_server(uuid)
        return server.compute_host, server.task_state

    # -- the hypervisors ---------------------------------------------------

    def state(self, host, uuid):
        """(libvirt state, guest pass counter) on ``host``, or None."""
        conn = libvirt.open(host.uri)
        try:
            domain = conn.lookupByUUIDString(uuid)
            if not domain.isActive():
                return None
            out = libvirt_qemu.qemuMonitorCommand(
                domain, 'xp /1wx 0x%x' % guest.COUNTER_ADDRESS,
                libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
            return domain.state()[0], int(re.search(
                r':\s*(0x[0-9a-f]+)', out).group(1), 16)
        except libvirt.libvirtError as e:
            if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise
        finally:
            conn.close()

    def assert_runs_only_on(self, where, uuid):
        other = self.pair.b if where is self.pair.a else self.pair.a
        state, first = step('the guest answers on %s' % where.name,
                            lambda: self.state(where, uuid))
        self.assertEqual(libvirt.VIR_DOMAIN_RUNNING, state)
        # It executes there: its pass counter moves on.
        step('the guest runs on %s' % where.name,
             lambda: self.state(where, uuid)[1] != first, 30)
        self.assertIsNone(self.state(other, uuid))

    # -- the tests ---------------------------------------------------------

    def test_plain_migration(self):
        self.agents()
        uuid = self.boot(QUIET_MIB)
        mid = self.migrate(uuid)
        self.assertEqual('completed', self.wait_status(mid))
        self.assertEqual((self.pair.b.name, None), self.api_host(uuid))
        self.assert_runs_only_on(self.pair.b, uuid)
        migration = db_migrations.migration_get(self.context, mid)
        self.assertEqual(0, migration['memory_remaining'])

    def test_abort_non_converging_migration(self):
        self.agents()
        uuid = self.boot(BUSY_MIB)
        mid = self.migrate(uuid)
        progress = self.wait_copying(uuid, mid)
        # libvirt counts the guest's RAM plus QEMU's own regions.
        self.assertGreaterEqual(progress.memory_total_bytes, 128 * 1024 ** 2)
        self.sdk.compute.abort_server_migration(mid, uuid,
                                                ignore_missing=False)
        self.assertEqual('cancelled', self.wait_status(mid))
        self.assertEqual((self.pair.a.name, None), self.api_host(uuid))
        self.assert_runs_only_on(self.pair.a, uuid)

    def _force_complete(self, post_copy):
        self.agents(post_copy=post_copy)
        uuid = self.boot(BUSY_MIB)
        mid = self.migrate(uuid)
        self.wait_copying(uuid, mid)
        self.sdk.compute.force_complete_server_migration(mid, uuid)
        self.assertEqual('completed', self.wait_status(mid))
        self.assertEqual((self.pair.b.name, None), self.api_host(uuid))
        self.assert_runs_only_on(self.pair.b, uuid)

    def test_force_complete_by_pausing(self):
        self._force_complete(post_copy=False)

    def test_force_complete_by_post_copy(self):
        self._force_complete(post_copy=True)

    def test_agent_killed_mid_migration_and_restarted(self):
        source, _dest = self.agents()
        uuid = self.boot(BUSY_MIB)
        mid = self.migrate(uuid)
        self.wait_copying(uuid, mid)
        source.kill()
        # libvirt's job outlives the agent; the restarted agent aborts it
        # and records where the guest is.
        source.start(self.context)
        self.assertEqual('error', self.wait_status(mid))
        self.assertEqual((self.pair.a.name, None), self.api_host(uuid))
        self.assert_runs_only_on(self.pair.a, uuid)

    def test_agent_killed_in_post_copy_and_restarted(self):
        source, _dest = self.agents(post_copy=True)
        uuid = self.boot(BUSY_MIB)
        mid = self.migrate(uuid)
        self.wait_copying(uuid, mid)
        self.sdk.compute.force_complete_server_migration(mid, uuid)
        # Killed while post-copy runs: the guest already runs on the
        # destination, which pulls the rest without the agent.
        self.wait_status(mid, ('running (post-copy)',) + TERMINAL)
        source.kill()
        self.assertEqual('running (post-copy)', self.status(mid),
                         'the kill came after the migration ended')
        source.start(self.context)
        self.assertEqual('completed', self.wait_status(mid))
        self.assertEqual((self.pair.b.name, None), self.api_host(uuid))
        self.assert_runs_only_on(self.pair.b, uuid)

    def test_destination_libvirtd_stopped_mid_migration(self):
        self.agents()
        uuid = self.boot(BUSY_MIB)
        mid = self.migrate(uuid)
        self.wait_copying(uuid, mid)
        self.pair.b.stop(kill=True)
        # The destination failed, not the source: "failed", guest home.
        self.assertEqual('failed', self.wait_status(mid))
        self.assertEqual((self.pair.a.name, None), self.api_host(uuid))
        state, _count = self.state(self.pair.a, uuid)
        self.assertEqual(libvirt.VIR_DOMAIN_RUNNING, state)
        self.pair.b.start()
        self.assert_runs_only_on(self.pair.a, uuid)


class TestLibvirtHostsPostgreSQL(_LibvirtHostsMixin,
                                 backends.ProvisionedDatabase,
                                 base.TestCase):
    FIXTURE = sm_fixtures.PostgresqlDatabase
