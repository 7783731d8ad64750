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

"""Force-complete and abort of a running migration, in both modes."""

import fixtures

from server_migrations import exception
from server_migrations.tests.unit.virt.libvirt import fakeconn
from server_migrations.tests.unit.virt.libvirt import fakelibvirt as fake
from server_migrations.tests.unit.virt.libvirt import helpers
from server_migrations.virt import driver as driver_mod
from server_migrations.virt.libvirt import actions
from server_migrations.virt.libvirt import errors
from server_migrations.virt.libvirt import host as host_mod
from server_migrations.virt.libvirt import migration_job

INSTANCE = helpers.INSTANCE


class ActionTestCase(helpers.LibvirtTestCase):

    def running_migration(self, script=(fake.running(),), **domain_kwargs):
        """A migration that does not converge until acted upon."""
        self.domain = fake.FakeDomain(helpers.UUID, script, **domain_kwargs)
        self.driver = self.make_driver(self.domain)
        future = self.start(self.driver)
        self.wait_holding(self.domain)
        return future


class TestPostCopyMode(ActionTestCase):

    def setUp(self):
        super().setUp()
        self.flags(live_migration_permit_post_copy=True)

    def test_force_complete_switches_to_post_copy(self):
        future = self.running_migration(
            on_post_copy=[fake.running(memory_processed=fake.GIB),
                          fake.COMPLETED])

        self.assertEqual(driver_mod.POST_COPY,
                         self.driver.live_migration_force_complete(INSTANCE))

        self.assertEqual(driver_mod.COMPLETED, self.result(future))
        self.assertEqual(['migrateToURI3', 'migrateStartPostCopy'],
                         self.domain.calls)
        self.assertTrue(self.domain.migrate_args[2] &
                        fake.VIR_MIGRATE_POSTCOPY)
        # The manager records the switch from the return value; the
        # monitor callback is for switches nobody asked for.
        self.assertEqual(0, self.monitor.post_copy_count)

    def test_force_complete_again_in_post_copy_is_harmless(self):
        future = self.running_migration(on_post_copy=[fake.running()])
        for _ in range(2):
            self.assertEqual(driver_mod.POST_COPY,
                             self.driver.live_migration_force_complete(
                                 INSTANCE))
        self.domain.finish(fake.COMPLETED)
        self.assertEqual(driver_mod.COMPLETED, self.result(future))
        self.assertEqual(1, self.domain.calls.count('migrateStartPostCopy'))

    def test_post_copy_refused_is_a_failure_with_libvirts_message(self):
        message = ('internal error: unable to execute QEMU command '
                   "'migrate-start-postcopy': postcopy-ram is not enabled")
        future = self.running_migration(post_copy_error=message)

        ex = self.assertRaises(errors.LiveMigrationForceCompleteFailed,
                               self.driver.live_migration_force_complete,
                               INSTANCE)

        self.assertIn(message, str(ex))
        self.assertIn(helpers.UUID, str(ex))
        # The migration goes on and can still be aborted.
        self.driver.live_migration_abort(INSTANCE)
        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertNotIn('suspend', self.domain.calls)

    def test_abort_before_post_copy_cancels(self):
        future = self.running_migration()
        self.driver.live_migration_abort(INSTANCE)
        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertEqual(['migrateToURI3', 'abortJob'], self.domain.calls)

    def test_abort_refused_in_post_copy(self):
        future = self.running_migration(on_post_copy=[fake.running()])
        self.driver.live_migration_force_complete(INSTANCE)
        self.wait_holding(self.domain)

        ex = self.assertRaises(exception.LiveMigrationAbortFailed,
                               self.driver.live_migration_abort, INSTANCE)

        # Refused in plain words, without asking libvirt (which would
        # refuse too).
        self.assertIn('post-copy has started: the guest already runs on the '
                      'destination', str(ex))
        self.assertEqual(0, self.domain.calls.count('abortJob'))
        # Post-copy cannot be undone: the migration completes.
        self.domain.finish(fake.COMPLETED)
        self.assertEqual(driver_mod.COMPLETED, self.result(future))


class TestPauseMode(ActionTestCase):
    """live_migration_permit_post_copy = False (the default)."""

    def test_force_complete_pauses_until_converged(self):
        future = self.running_migration(
            on_suspend=[fake.running(memory_processed=4 * fake.GIB),
                        fake.COMPLETED])

        self.assertEqual(driver_mod.PAUSED,
                         self.driver.live_migration_force_complete(INSTANCE))

        self.assertEqual(driver_mod.COMPLETED, self.result(future))
        # Paused on the source; libvirt starts it on the destination.
        self.assertEqual(['migrateToURI3', 'suspend'], self.domain.calls)
        self.assertFalse(self.domain.migrate_args[2] &
                         fake.VIR_MIGRATE_POSTCOPY)

    def test_paused_guest_resumed_when_the_migration_fails(self):
        future = self.running_migration(
            on_suspend=[fake.running(), fake.FAILED])
        self.assertEqual(driver_mod.PAUSED,
                         self.driver.live_migration_force_complete(INSTANCE))
        self.assertEqual(driver_mod.FAILED, self.result(future))
        self.assertEqual(['migrateToURI3', 'suspend', 'resume'],
                         self.domain.calls)
        self.assertEqual(fake.VIR_DOMAIN_RUNNING, self.domain.run_state)

    def test_paused_guest_resumed_when_the_job_vanishes_failed(self):
        future = self.running_migration(
            on_suspend=[fake.running(), fake.FAILED], report_end=False)
        self.driver.live_migration_force_complete(INSTANCE)
        self.assertEqual(driver_mod.FAILED, self.result(future))
        self.assertEqual(fake.VIR_DOMAIN_RUNNING, self.domain.run_state)

    def test_abort_after_pause_cancels_and_resumes(self):
        future = self.running_migration()
        self.assertEqual(driver_mod.PAUSED,
                         self.driver.live_migration_force_complete(INSTANCE))
        self.assertEqual(fake.VIR_DOMAIN_PAUSED, self.domain.run_state)

        self.driver.live_migration_abort(INSTANCE)

        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertEqual(['migrateToURI3', 'suspend', 'abortJob', 'resume'],
                         self.domain.calls)
        self.assertEqual(fake.VIR_DOMAIN_RUNNING, self.domain.run_state)

    def test_abort_after_pause_when_the_job_vanishes(self):
        future = self.running_migration(report_end=False)
        self.driver.live_migration_force_complete(INSTANCE)
        self.driver.live_migration_abort(INSTANCE)
        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertEqual(fake.VIR_DOMAIN_RUNNING, self.domain.run_state)

    def test_force_complete_again_while_paused_is_harmless(self):
        future = self.running_migration()
        for _ in range(2):
            self.assertEqual(driver_mod.PAUSED,
                             self.driver.live_migration_force_complete(
                                 INSTANCE))
        self.domain.finish(fake.COMPLETED)
        self.assertEqual(driver_mod.COMPLETED, self.result(future))
        self.assertEqual(1, self.domain.calls.count('suspend'))

    def test_pause_refused_is_a_failure_with_libvirts_message(self):
        message = 'operation failed: domain is being migrated'
        future = self.running_migration(suspend_error=message)
        ex = self.assertRaises(errors.LiveMigrationForceCompleteFailed,
                               self.driver.live_migration_force_complete,
                               INSTANCE)
        self.assertIn(message, str(ex))
        self.driver.live_migration_abort(INSTANCE)
        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        # Never paused, so never resumed.
        self.assertNotIn('resume', self.domain.calls)

    def test_abort_without_force_complete_leaves_the_guest_alone(self):
        future = self.running_migration()
        self.driver.live_migration_abort(INSTANCE)
        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertEqual(['migrateToURI3', 'abortJob'], self.domain.calls)
        self.assertIn('canceled by client', self.logs.output)


class TestAbortAtTheStart(ActionTestCase):
    """An abort that comes before libvirt has a job to cancel."""

    NO_JOB = {'type': fake.VIR_DOMAIN_JOB_NONE}

    def test_before_the_migration_call(self):
        domain = fake.FakeDomain(helpers.UUID, [fake.running()])
        bindings = fakeconn.FakeBindings([domain])
        job = migration_job.MigrationJob(
            host_mod.Host('qemu:///system', bindings), domain, helpers.UUID,
            'dest', 0, None, self.conf.libvirt,
            self.monitor, self.clock)

        job.abort()

        self.assertEqual(driver_mod.CANCELLED, job.run())
        self.assertEqual([], domain.calls)  # never migrated, never aborted

    def test_while_libvirt_sets_the_job_up(self):
        future = self.running_migration([self.NO_JOB], abort_refusals=2)

        self.driver.live_migration_abort(INSTANCE)

        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertEqual(['migrateToURI3'] + ['abortJob'] * 3,
                         self.domain.calls)

    def test_refused_for_good_while_no_job_shows(self):
        self.useFixture(fixtures.MockPatchObject(actions,
                                                 'ABORT_RETRIES', 2))
        future = self.running_migration([self.NO_JOB], abort_refusals=100)

        ex = self.assertRaises(exception.LiveMigrationAbortFailed,
                               self.driver.live_migration_abort, INSTANCE)

        self.assertIn('no job is active on the domain', str(ex))
        self.assertEqual(3, self.domain.calls.count('abortJob'))
        # The refused abort does not make the migration's end "cancelled".
        self.domain.finish(fake.FAILED)
        self.assertEqual(driver_mod.FAILED, self.result(future))


class TestNoActiveMigration(ActionTestCase):

    def test_nothing_to_act_on(self):
        driver = self.make_driver(fake.FakeDomain(helpers.UUID, []))
        for action in (driver.live_migration_force_complete,
                       driver.live_migration_abort):
            ex = self.assertRaises(exception.NoActiveMigrationForInstance,
                                   action, INSTANCE)
            self.assertEqual('Active live migration for instance %s not '
                             'found' % helpers.UUID, str(ex))

    def test_nothing_to_act_on_once_the_migration_ended(self):
        future = self.running_migration()
        self.domain.finish(fake.COMPLETED)
        self.assertEqual(driver_mod.COMPLETED, self.result(future))
        self.assertRaises(exception.NoActiveMigrationForInstance,
                          self.driver.live_migration_force_complete, INSTANCE)
        self.assertRaises(exception.NoActiveMigrationForInstance,
                          self.driver.live_migration_abort, INSTANCE)

    def test_force_complete_waiting_for_the_job_when_it_ends(self):
        # The job never runs (libvirt reports none), so the request waits
        # in the queue until the migration ends, and then has nothing left
        # to act on.
        future = self.running_migration([{'type': fake.VIR_DOMAIN_JOB_NONE}])
        waiting = self.pool.submit(self.driver.live_migration_force_complete,
                                   INSTANCE)
        self.domain.finish(fake.FAILED)
        self.assertEqual(driver_mod.FAILED, self.result(future))
        self.assertRaises(exception.NoActiveMigrationForInstance,
                          self.result, waiting)
        self.assertEqual(['migrateToURI3'], self.domain.calls)

    def test_other_instance_has_no_migration(self):
        future = self.running_migration()
        other = dict(INSTANCE, uuid='5c5e1b4a-1111-4a8e-9f0e-0123456789ab')
        self.assertRaises(exception.NoActiveMigrationForInstance,
                          self.driver.live_migration_abort, other)
        self.driver.live_migration_abort(INSTANCE)
        self.assertEqual(driver_mod.CANCELLED, self.result(future))
