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

"""The monitor loop on scripted jobs: progress, end states, timeout."""

from server_migrations import exception
from server_migrations.tests.unit.virt.libvirt import fakelibvirt as fake
from server_migrations.tests.unit.virt.libvirt import helpers
from server_migrations.virt import driver as driver_mod
from server_migrations.virt.libvirt import errors

GIB = fake.GIB
SHARED_FLAGS = (fake.VIR_MIGRATE_LIVE | fake.VIR_MIGRATE_PEER2PEER |
                fake.VIR_MIGRATE_PERSIST_DEST |
                fake.VIR_MIGRATE_UNDEFINE_SOURCE)


def counters(memory_total=4 * GIB, memory_processed=0, disk_total=0,
             disk_processed=0):
    return {'memory_total': memory_total,
            'memory_processed': memory_processed,
            'memory_remaining': memory_total - memory_processed,
            'disk_total': disk_total, 'disk_processed': disk_processed,
            'disk_remaining': disk_total - disk_processed}


class TestEndStates(helpers.LibvirtTestCase):

    def _run(self, domain, **kwargs):
        return self.result(self.start(self.make_driver(domain), **kwargs))

    def test_progress_every_interval_then_completed(self):
        readings = [fake.running(memory_processed=i * GIB) for i in range(5)]
        domain = fake.FakeDomain(helpers.UUID, readings + [fake.COMPLETED])

        self.assertEqual(driver_mod.COMPLETED, self._run(domain))

        # Readings every 0.5 s; progress at the first and then every 1 s,
        # and a final report: what remained went in the stop-and-copy.
        self.assertEqual([counters(memory_processed=i * GIB)
                          for i in (0, 2, 4, 4)], self.monitor.reports)
        self.assertEqual(('qemu+tcp://dest/system', {}, SHARED_FLAGS),
                         domain.migrate_args)
        self.assertEqual(['migrateToURI3'], domain.calls)
        self.assertEqual(0, self.monitor.post_copy_count)

    def test_block_migration_copies_disks_and_reports_them(self):
        readings = [fake.running(disk_total=10 * GIB,
                                 disk_processed=i * GIB) for i in range(3)]
        domain = fake.FakeDomain(helpers.UUID, readings + [fake.COMPLETED])

        self.assertEqual(driver_mod.COMPLETED,
                         self._run(domain, block_migration=True))

        self.assertEqual(SHARED_FLAGS | fake.VIR_MIGRATE_NON_SHARED_DISK,
                         domain.migrate_args[2])
        self.assertEqual([counters(disk_total=10 * GIB, disk_processed=0),
                          counters(disk_total=10 * GIB,
                                   disk_processed=2 * GIB),
                          counters(memory_processed=4 * GIB,
                                   disk_total=10 * GIB,
                                   disk_processed=10 * GIB)],
                         self.monitor.reports)

    def test_destination_uri_from_template(self):
        self.flags(live_migration_uri='qemu+ssh://nova@%s/system')
        domain = fake.FakeDomain(helpers.UUID, [fake.COMPLETED])
        self._run(domain)
        self.assertEqual('qemu+ssh://nova@dest/system',
                         domain.migrate_args[0])

    def test_completed_job_gone_before_it_is_read(self):
        domain = fake.FakeDomain(helpers.UUID,
                                 [fake.running(), fake.COMPLETED],
                                 report_end=False)
        self.assertEqual(driver_mod.COMPLETED, self._run(domain))
        self.assertEqual([counters(), counters(memory_processed=4 * GIB)],
                         self.monitor.reports)

    def test_failed_job(self):
        domain = fake.FakeDomain(helpers.UUID, [fake.running(), fake.FAILED])
        self.assertEqual(driver_mod.FAILED, self._run(domain))
        self.assertIn('migration out job: unexpectedly failed',
                      self.logs.output)
        self.assertEqual(['migrateToURI3'], domain.calls)

    def test_failed_job_gone_before_it_is_read(self):
        domain = fake.FakeDomain(helpers.UUID, [fake.running(), fake.FAILED],
                                 report_end=False)
        self.assertEqual(driver_mod.FAILED, self._run(domain))

    def test_migration_refused_at_once_is_failed_with_the_reason(self):
        refusal = fake.libvirtError(
            "unable to connect to server at 'dest:49152': Connection "
            "refused", fake.VIR_ERR_OPERATION_FAILED)
        domain = fake.FakeDomain(helpers.UUID, [fake.COMPLETED],
                                 migrate_error=refusal)
        self.assertEqual(driver_mod.FAILED, self._run(domain))
        self.assertIn("unable to connect to server at 'dest:49152'",
                      self.logs.output)
        self.assertEqual([], self.monitor.reports)

    def test_connection_lost_during_the_migration_is_an_error(self):
        # The local libvirtd went away mid-call and stays down: nobody can
        # tell whether the guest moved.
        lost = fake.libvirtError('Cannot recv data: Connection reset by peer',
                                 fake.VIR_ERR_SYSTEM_ERROR, fake.VIR_FROM_RPC)

        def daemon_dies():
            self.bindings.restart_daemon()
            self.bindings.daemon_running = False

        domain = fake.FakeDomain(helpers.UUID, [fake.COMPLETED],
                                 migrate_error=lost, on_migrate=daemon_dies)
        ex = self.assertRaises(errors.HypervisorUnavailable, self._run,
                               domain)
        self.assertIn('Connection reset by peer', str(ex))
        self.assertIn('on the source unknown, on the destination unknown',
                      str(ex))

    def test_job_info_fallback_reports_progress(self):
        domain = fake.FakeDomain(
            helpers.UUID, [fake.running(memory_processed=GIB),
                           fake.COMPLETED], stats_api='jobInfo')
        self.assertEqual(driver_mod.COMPLETED, self._run(domain))
        self.assertEqual([counters(memory_processed=GIB),
                          counters(memory_processed=4 * GIB)],
                         self.monitor.reports)

    def test_no_job_stats_at_all_follows_the_migration_call(self):
        for end, expected in ((fake.COMPLETED, driver_mod.COMPLETED),
                              (fake.FAILED, driver_mod.FAILED)):
            domain = fake.FakeDomain(helpers.UUID, [fake.running(), end],
                                     stats_api=None)
            self.assertEqual(expected, self._run(domain))
        # Only the final report of the completed one: all memory sent.
        self.assertEqual([counters(memory_total=GIB, memory_processed=GIB)],
                         self.monitor.reports)
        self.assertIn('reports no job statistics', self.logs.output)

    def test_instance_not_on_this_hypervisor(self):
        driver = self.make_driver()
        self.assertRaises(exception.InstanceNotFound, driver.live_migration,
                          helpers.INSTANCE, helpers.MIGRATION, 'dest', False,
                          self.monitor)

    def test_template_without_placeholder_is_a_configuration_error(self):
        self.flags(live_migration_uri='qemu+tcp://dest/system')
        driver = self.make_driver(fake.FakeDomain(helpers.UUID, []))
        ex = self.assertRaises(exception.ConfigurationError,
                               driver.live_migration, helpers.INSTANCE,
                               helpers.MIGRATION, 'dest', False, self.monitor)
        self.assertIn('live_migration_uri', str(ex))

    def test_second_migration_of_the_same_instance_is_refused(self):
        domain = fake.FakeDomain(helpers.UUID, [fake.running()])
        driver = self.make_driver(domain)
        first = self.start(driver)
        self.wait_holding(domain)
        self.assertRaises(exception.InstanceInvalidState,
                          driver.live_migration, helpers.INSTANCE,
                          helpers.MIGRATION, 'dest', False, self.monitor)
        driver.live_migration_abort(helpers.INSTANCE)
        self.assertEqual(driver_mod.CANCELLED, self.result(first))


class TestCompletionTimeout(helpers.LibvirtTestCase):
    """1 s per GiB; the 1 GiB guest counts as 2 GiB: 2 s, read 6 at 2.5 s."""

    def setUp(self):
        super().setUp()
        self.flags(live_migration_completion_timeout=1)

    def test_not_exceeded_at_the_limit(self):
        readings = [fake.running() for _ in range(5)]  # at 0 .. 2.0 s
        domain = fake.FakeDomain(helpers.UUID, readings + [fake.COMPLETED])
        self.assertEqual(driver_mod.COMPLETED,
                         self.result(self.start(self.make_driver(domain))))
        self.assertEqual(['migrateToURI3'], domain.calls)

    def test_abort_when_exceeded(self):
        domain = fake.FakeDomain(helpers.UUID, [fake.running()])
        self.assertEqual(driver_mod.CANCELLED,
                         self.result(self.start(self.make_driver(domain))))
        self.assertEqual([('migrateToURI3', 0), ('abortJob', 6)],
                         domain.timeline)
        self.assertIn('has run 2.5 s, more than its completion timeout of '
                      '2.0 s; action: abort.',
                      self.logs.output)
        # The manager gives it as the reason the migration ended.
        self.assertEqual([(2.5, 'abort')], self.monitor.timeouts)

    def test_copied_disk_counts(self):
        # 2 GiB + 10 GiB of root disk: 12 s, exceeded at read 26 (12.5 s).
        domain = fake.FakeDomain(helpers.UUID, [fake.running()])
        future = self.start(self.make_driver(domain), block_migration=True)
        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertEqual(('abortJob', 26), domain.timeline[-1])

    def test_large_guest_counts_its_memory(self):
        # 5 GiB of RAM: 5 s, exceeded at read 12 (5.5 s).
        domain = fake.FakeDomain(helpers.UUID, [fake.running()])
        instance = dict(helpers.INSTANCE, memory_mb=5 * 1024)
        future = self.start(self.make_driver(domain), instance=instance)
        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertEqual(('abortJob', 12), domain.timeline[-1])

    def test_force_complete_action_switches_to_post_copy(self):
        self.flags(live_migration_timeout_action='force_complete',
                   live_migration_permit_post_copy=True)
        domain = fake.FakeDomain(
            helpers.UUID, [fake.running()],
            on_post_copy=[fake.running(memory_processed=GIB),
                          fake.COMPLETED])
        self.assertEqual(driver_mod.COMPLETED,
                         self.result(self.start(self.make_driver(domain))))
        self.assertEqual([('migrateToURI3', 0), ('migrateStartPostCopy', 6)],
                         domain.timeline)
        self.assertEqual(1, self.monitor.post_copy_count)
        self.assertEqual([(2.5, 'force_complete')], self.monitor.timeouts)

    def test_force_complete_action_pauses_without_post_copy(self):
        self.flags(live_migration_timeout_action='force_complete')
        domain = fake.FakeDomain(helpers.UUID, [fake.running()],
                                 on_suspend=[fake.running(), fake.COMPLETED])
        self.assertEqual(driver_mod.COMPLETED,
                         self.result(self.start(self.make_driver(domain))))
        self.assertEqual([('migrateToURI3', 0), ('suspend', 6)],
                         domain.timeline)
        self.assertEqual(0, self.monitor.post_copy_count)

    def test_force_complete_action_pause_resumed_on_failure(self):
        self.flags(live_migration_timeout_action='force_complete')
        domain = fake.FakeDomain(helpers.UUID, [fake.running()],
                                 on_suspend=[fake.running(), fake.FAILED])
        self.assertEqual(driver_mod.FAILED,
                         self.result(self.start(self.make_driver(domain))))
        self.assertEqual(['migrateToURI3', 'suspend', 'resume'],
                         domain.calls)
        self.assertEqual(fake.VIR_DOMAIN_RUNNING, domain.run_state)

    def test_no_timeout_action_in_post_copy(self):
        self.flags(live_migration_permit_post_copy=True)
        domain = fake.FakeDomain(helpers.UUID, [fake.running()],
                                 on_post_copy=[fake.running()])
        driver = self.make_driver(domain)
        self.clock.frozen = True  # the switch comes at 0 s
        future = self.start(driver)
        self.wait_holding(domain)
        self.assertEqual(driver_mod.POST_COPY,
                         driver.live_migration_force_complete(
                             helpers.INSTANCE))
        self.clock.frozen = False
        reads = domain.reads
        self.assertTrue(domain.wait_reads(reads + 20))  # 10 s later
        domain.finish(fake.COMPLETED)
        self.assertEqual(driver_mod.COMPLETED, self.result(future))
        self.assertNotIn('abortJob', domain.calls)

    def test_disabled(self):
        self.flags(live_migration_completion_timeout=0)
        readings = [fake.running() for _ in range(40)]  # 20 s
        domain = fake.FakeDomain(helpers.UUID, readings + [fake.COMPLETED])
        self.assertEqual(driver_mod.COMPLETED,
                         self.result(self.start(self.make_driver(domain))))
        self.assertEqual(['migrateToURI3'], domain.calls)
