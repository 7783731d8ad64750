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

"""The libvirt virt driver: live migrations of KVM/QEMU guests."""

import threading

from oslo_log import log as logging

from server_migrations import exception
from server_migrations import migration_states as states
from server_migrations.virt import driver
from server_migrations.virt.libvirt import errors
from server_migrations.virt.libvirt import host as host_mod
from server_migrations.virt.libvirt import migration
from server_migrations.virt.libvirt import migration_job
from server_migrations.virt.libvirt import reconcile

LOG = logging.getLogger(__name__)


class LibvirtDriver(driver.ComputeDriver):
    """Live migration through libvirt's peer-to-peer migration API.

    ``libvirt_module`` and ``clock`` exist for tests (a scripted stand-in
    for the bindings, a clock that does not sleep); the agent passes
    neither.
    """

    def __init__(self, conf, host, libvirt_module=None, clock=None):
        super().__init__(conf, host)
        # A missing module is reported by init_host, not here: stevedore
        # would turn an error raised here into a vague "no driver found".
        lv = libvirt_module or host_mod.import_libvirt()
        self._host = (host_mod.Host(conf.libvirt.connection_uri, lv)
                      if lv is not None else None)
        self._clock = clock or migration.RealClock()
        self._jobs = {}
        self._jobs_lock = threading.Lock()

    def _require_host(self):
        if self._host is None:
            raise errors.LibvirtBindingsMissing()
        return self._host

    def init_host(self):
        """Check the bindings and try to connect.

        An absent libvirtd is logged and retried on later calls, never
        fatal: the agent keeps running and reports itself unhealthy.
        """
        host = self._require_host()
        try:
            version = host_mod.bounded(
                lambda: host.call(lambda conn: conn.getLibVersion()),
                what='getLibVersion')
        except errors.HypervisorUnavailable as e:
            problem = e.format_message()
        except host_mod.CallTimedOut as e:
            problem = 'libvirt at %s does not answer: %s' % (host.uri, e)
        else:
            problem = None
        if problem is not None:
            # Logged outside the except block: oslo.log would append the
            # same message again as the exception being handled.
            LOG.error('%s. The agent keeps running, reports itself '
                      'unhealthy and connects when libvirt answers.', problem)
            return
        LOG.info('libvirt driver ready on %s (libvirt %d.%d.%d).', host.uri,
                 version // 1000000, version // 1000 % 1000, version % 1000)

    def cleanup_host(self):
        if self._host is not None:
            self._host.close()

    def is_healthy(self):
        return self._host is not None and self._host.ping()

    def live_migration(self, instance, migration_rec, dest, block_migration,
                       monitor):
        host = self._require_host()
        conf = self.conf.libvirt
        uuid = instance['uuid']
        domain = host.lookup_domain(uuid)
        memory_kib, paused, disks = self._domain_facts(domain)
        block = migration.wants_block_migration(
            block_migration, disks, conf.shared_storage)
        gib = migration.data_gib(instance, memory_kib, block)
        lv = host.libvirt
        job = migration_job.MigrationJob(
            host, domain, uuid, dest,
            migration.migration_flags(lv, block,
                                      conf.live_migration_permit_post_copy,
                                      paused=paused),
            migration.completion_timeout(
                conf.live_migration_completion_timeout, gib),
            conf, monitor, self._clock,
            params=migration.migration_params(lv, conf, dest, disks, block),
            ladder=migration.downtime_steps(
                conf.live_migration_downtime,
                conf.live_migration_downtime_steps,
                conf.live_migration_downtime_delay, gib),
            memory_bytes=memory_kib * 1024, guest_paused=paused)
        with self._jobs_lock:
            if uuid in self._jobs:
                raise exception.InstanceInvalidState(
                    instance_uuid=uuid, attr='task_state', state='migrating',
                    method='live migrate')
            self._jobs[uuid] = job
        LOG.info('Live migrating instance %s to %s (migration %s, block '
                 'migration %s%s).', uuid, dest, migration_rec.get('id'),
                 block, ', guest paused' if paused else '')
        try:
            return job.run()
        finally:
            with self._jobs_lock:
                self._jobs.pop(uuid, None)

    def _domain_facts(self, domain):
        """(memory KiB, paused, local disk targets) of a domain."""
        lv = self._host.libvirt
        try:
            info = domain.info()
        except lv.libvirtError:
            info = [None, 0]
        try:
            disks = migration.local_disks(domain.XMLDesc(0))
        except lv.libvirtError:
            disks = []
        return info[1], info[0] == lv.VIR_DOMAIN_PAUSED, disks

    def recover_migration(self, instance, migration_rec, timeout=None):
        """Ask libvirt on both hosts; abort an orphaned pre-copy job."""
        host = self._require_host()
        with self._jobs_lock:
            job = self._jobs.get(instance['uuid'])
        if job is not None:
            try:
                job.abort()
            except exception.ServerMigrationsException as e:
                LOG.info('Not aborting the migration of %s: %s',
                         instance['uuid'], e.format_message())
        return reconcile.recover(
            host, self.conf.libvirt, instance['uuid'],
            migration_rec['dest_compute'],
            migration_rec.get('status') == states.RUNNING_POST_COPY,
            timeout=timeout)

    def _job(self, instance):
        with self._jobs_lock:
            job = self._jobs.get(instance['uuid'])
        if job is None:
            raise exception.NoActiveMigrationForInstance(
                instance_id=instance['uuid'])
        return job

    def live_migration_force_complete(self, instance):
        return self._job(instance).force_complete()

    def live_migration_abort(self, instance):
        self._job(instance).abort()

    def live_migration_tune(self, instance, max_downtime=None,
                            bandwidth=None):
        job = self._job(instance)
        if max_downtime is not None:
            job.stop_ladder()
        job.tune(max_downtime, bandwidth)
