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

"""Connection handling: lazy connect, reconnect, libvirtd unreachable."""

import fixtures

from server_migrations import exception
from server_migrations.tests.unit.virt.libvirt import fakelibvirt as fake
from server_migrations.tests.unit.virt.libvirt import helpers
from server_migrations.virt import driver as driver_mod
from server_migrations.virt.libvirt import driver as libvirt_driver
from server_migrations.virt.libvirt import errors
from server_migrations.virt.libvirt import host as host_mod


class TestConnection(helpers.LibvirtTestCase):

    def setUp(self):
        super().setUp()
        self.domain = fake.FakeDomain(helpers.UUID, [fake.COMPLETED])
        self.driver = self.make_driver(self.domain)

    def migrate(self):
        return self.driver.live_migration(helpers.INSTANCE, helpers.MIGRATION,
                                          'dest', False, self.monitor)

    def test_connects_lazily_once(self):
        self.assertEqual([], self.bindings.opened)
        self.driver.init_host()
        self.assertTrue(self.driver.is_healthy())
        self.assertEqual(driver_mod.COMPLETED, self.migrate())
        # The shared connection, then the migration call's own, closed
        # once the call returned.
        self.assertEqual(['qemu:///system', 'qemu:///system'],
                         [uri for uri, _ in self.bindings.opened])
        self.assertEqual([False, True],
                         [conn.closed for _, conn in self.bindings.opened])
        self.assertIn('libvirt driver ready on qemu:///system (libvirt '
                      '9.0.0)', self.logs.output)

    def test_connection_uri_option(self):
        self.flags(connection_uri='qemu+tcp://localhost/system')
        driver = self.make_driver()
        driver.init_host()
        self.assertEqual('qemu+tcp://localhost/system',
                         self.bindings.opened[0][0])

    def test_libvirtd_down_at_start_is_not_fatal(self):
        self.bindings.daemon_running = False

        self.driver.init_host()  # logs, does not raise

        self.assertIn("libvirt at qemu:///system is not reachable: Failed "
                      "to connect socket to '/var/run/libvirt/libvirt-sock'",
                      self.logs.output)
        self.assertIn('The agent keeps running', self.logs.output)
        self.assertFalse(self.driver.is_healthy())
        ex = self.assertRaises(errors.HypervisorUnavailable, self.migrate)
        self.assertEqual("libvirt at qemu:///system is not reachable: Failed "
                         "to connect socket to '/var/run/libvirt/libvirt-"
                         "sock': No such file or directory", str(ex))
        self.assertEqual(503, ex.code)
        self.assertIsNone(self.domain.migrate_args)

        # libvirtd comes up: the next call connects.
        self.bindings.daemon_running = True
        self.assertTrue(self.driver.is_healthy())
        self.assertEqual(driver_mod.COMPLETED, self.migrate())

    def test_reconnects_after_libvirtd_restart(self):
        self.driver.init_host()
        first = self.bindings.opened[0][1]
        self.bindings.restart_daemon()

        # The stale connection still looks alive; the first call through
        # it fails and is retried on a fresh one.
        self.assertTrue(first.isAlive())
        self.assertTrue(self.driver.is_healthy())

        self.assertEqual(2, len(self.bindings.opened))
        self.assertTrue(first.closed)
        self.assertIn('dropped the connection (Cannot recv data: Connection '
                      'reset by peer); reconnecting', self.logs.output)
        self.assertEqual(driver_mod.COMPLETED, self.migrate())
        # Plus the migration call's own connection.
        self.assertEqual(3, len(self.bindings.opened))

    def test_domain_lookup_retried_after_restart(self):
        self.driver.init_host()
        self.bindings.restart_daemon()
        self.assertEqual(driver_mod.COMPLETED, self.migrate())
        # The replaced shared connection and the migration's own.
        self.assertEqual(3, len(self.bindings.opened))

    def test_dead_connection_replaced_without_a_failed_call(self):
        self.driver.init_host()
        first = self.bindings.opened[0][1]
        first.noticed_broken = True  # isAlive() now says 0
        self.assertTrue(self.driver.is_healthy())
        self.assertEqual(2, len(self.bindings.opened))
        self.assertIn('The connection to libvirt at qemu:///system was '
                      'lost; reconnecting.', self.logs.output)

    def test_libvirtd_stays_down_after_restart(self):
        self.driver.init_host()
        self.bindings.restart_daemon()
        self.bindings.daemon_running = False
        self.assertFalse(self.driver.is_healthy())
        self.assertRaises(errors.HypervisorUnavailable, self.migrate)

    def test_other_errors_keep_the_connection(self):
        self.driver.init_host()
        other = dict(helpers.INSTANCE,
                     uuid='5c5e1b4a-1111-4a8e-9f0e-0123456789ab')
        ex = self.assertRaises(exception.InstanceNotFound,
                               self.driver.live_migration, other,
                               helpers.MIGRATION, 'dest', False, self.monitor)
        self.assertIn(other['uuid'], str(ex))
        self.assertEqual(1, len(self.bindings.opened))
        self.assertFalse(self.bindings.opened[0][1].closed)

    def test_cleanup_host_closes_and_a_later_call_reopens(self):
        self.driver.init_host()
        self.driver.cleanup_host()
        self.assertTrue(self.bindings.opened[0][1].closed)
        self.assertIn('Closed the connection to libvirt at qemu:///system',
                      self.logs.output)
        self.driver.cleanup_host()  # twice is harmless
        self.assertTrue(self.driver.is_healthy())
        self.assertEqual(2, len(self.bindings.opened))

    def test_connection_error_classes(self):
        host = host_mod.Host('qemu:///system', self.bindings)
        broken = [(fake.VIR_ERR_SYSTEM_ERROR, fake.VIR_FROM_RPC),
                  (fake.VIR_ERR_INTERNAL_ERROR, fake.VIR_FROM_REMOTE),
                  (fake.VIR_ERR_RPC, fake.VIR_FROM_RPC),
                  (fake.VIR_ERR_NO_CONNECT, fake.VIR_FROM_QEMU),
                  (fake.VIR_ERR_INVALID_CONN, fake.VIR_FROM_QEMU)]
        not_broken = [(fake.VIR_ERR_SYSTEM_ERROR, fake.VIR_FROM_QEMU),
                      (fake.VIR_ERR_NO_DOMAIN, fake.VIR_FROM_RPC),
                      (fake.VIR_ERR_OPERATION_INVALID, fake.VIR_FROM_QEMU)]
        for code, domain in broken:
            self.assertTrue(host.is_connection_error(
                fake.libvirtError('x', code, domain)), (code, domain))
        for code, domain in not_broken:
            self.assertFalse(host.is_connection_error(
                fake.libvirtError('x', code, domain)), (code, domain))


class TestBindingsMissing(helpers.LibvirtTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(host_mod, 'import_libvirt',
                                                 return_value=None))
        # The agent loads the driver even so; the error comes at init_host
        # with what to install, not as stevedore's "no driver found".
        self.flags(connection_uri='test:///default')
        self.conf_fixture.config(driver='libvirt', group='compute')
        self.driver = driver_mod.load_driver(self.conf, 'src')

    def test_loaded_through_the_entry_point(self):
        self.assertIsInstance(self.driver, libvirt_driver.LibvirtDriver)

    def test_init_host_says_what_to_install(self):
        ex = self.assertRaises(errors.LibvirtBindingsMissing,
                               self.driver.init_host)
        self.assertIn('server-migrations[libvirt]', str(ex))
        self.assertIsInstance(ex, exception.ConfigurationError)

    def test_unhealthy_and_no_migration(self):
        self.assertFalse(self.driver.is_healthy())
        self.driver.cleanup_host()
        self.assertRaises(errors.LibvirtBindingsMissing,
                          self.driver.live_migration, helpers.INSTANCE,
                          helpers.MIGRATION, 'dest', False, self.monitor)
        self.assertRaises(exception.NoActiveMigrationForInstance,
                          self.driver.live_migration_abort, helpers.INSTANCE)
