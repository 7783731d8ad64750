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

"""Connection handling against a real libvirtd that stops and restarts.

The test starts a private libvirtd (sockets in a temporary directory, no
hypervisor drivers loaded) that serves libvirt's test driver to clients at
``test+unix:///default?socket=...``: a real remote connection, as to
``qemu:///system``, without a hypervisor. It runs with the functional
tests (not the unit ones: it starts a daemon) and is skipped where
libvirt-python or libvirtd is missing.
"""

import os

import fixtures
import testtools

from server_migrations.tests import libvirtd
from server_migrations.tests.unit.virt.libvirt import helpers
from server_migrations.virt import driver as driver_mod
from server_migrations.virt.libvirt import errors

UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f'  # the test driver's guest
START_SECONDS = 30


class Libvirtd(fixtures.Fixture):
    """A private libvirtd; start() and stop() as often as needed."""

    def _setUp(self):
        self.dir = self.useFixture(fixtures.TempDir()).path
        drivers = os.path.join(self.dir, 'drivers')
        os.mkdir(drivers)
        self.socket = os.path.join(self.dir, 'libvirt-sock')
        self.config = os.path.join(self.dir, 'libvirtd.conf')
        with open(self.config, 'w') as f:
            f.write('unix_sock_dir = "%s"\nauth_unix_rw = "none"\n'
                    'auth_unix_ro = "none"\n' % self.dir)
        # An empty driver directory: no QEMU or other hypervisor driver is
        # loaded; the test driver is built into the library.
        self.env = dict(os.environ, LIBVIRT_DRIVER_DIR=drivers)
        self.uri = 'test+unix:///default?socket=%s' % self.socket
        self.process = None
        self.addCleanup(self.stop)
        self.start()

    def start(self):
        self.process = libvirtd.start(
            [libvirtd.LIBVIRTD, '--config', self.config, '--pid-file',
             os.path.join(self.dir, 'libvirtd.pid')], self.uri,
            os.path.join(self.dir, 'libvirtd.log'), START_SECONDS,
            env=self.env)

    def stop(self):
        if self.process is not None:
            libvirtd.stop_pid(self.process.pid, START_SECONDS)
            self.process.wait(5)
            self.process = None


@testtools.skipIf(libvirtd.libvirt is None, helpers.NO_BINDINGS)
@testtools.skipIf(libvirtd.LIBVIRTD is None,
                  'libvirtd is not installed (Debian: libvirt-daemon; '
                  'see .ci/install-libvirt)')
class TestRestartingLibvirtd(helpers.LibvirtTestCase):

    def setUp(self):
        super().setUp()
        self.daemon = self.useFixture(Libvirtd())
        self.flags(connection_uri=self.daemon.uri)
        self.conf_fixture.config(driver='libvirt', group='compute')
        self.driver = driver_mod.load_driver(self.conf, 'src')
        self.addCleanup(self.driver.cleanup_host)
        self.instance = dict(helpers.INSTANCE, uuid=UUID)

    def migrate(self):
        # The test driver refuses peer-to-peer migration: "failed" proves
        # the domain was found through the connection.
        return self.driver.live_migration(self.instance, helpers.MIGRATION,
                                          'dest', False, self.monitor)

    def test_down_then_up(self):
        self.driver.init_host()
        self.assertTrue(self.driver.is_healthy())

        self.daemon.stop()
        self.assertFalse(self.driver.is_healthy())
        ex = self.assertRaises(errors.HypervisorUnavailable, self.migrate)
        self.assertIn('Failed to connect socket to', str(ex))

        self.daemon.start()
        self.assertTrue(self.driver.is_healthy())
        self.assertEqual(driver_mod.FAILED, self.migrate())

    def test_restart_between_two_calls_is_invisible(self):
        self.driver.init_host()
        self.daemon.stop()
        self.daemon.start()

        # With libvirt's event loop running, the client notices the
        # closed connection by itself; the next call opens a new one.
        self.assertEqual(driver_mod.FAILED, self.migrate())
        self.assertIn('reconnecting', self.logs.output)
        self.assertTrue(self.driver.is_healthy())

    def test_agent_starts_while_libvirtd_is_down(self):
        self.daemon.stop()
        self.driver.init_host()  # does not raise
        self.assertIn('The agent keeps running', self.logs.output)
        self.assertFalse(self.driver.is_healthy())
        self.daemon.start()
        self.assertTrue(self.driver.is_healthy())
