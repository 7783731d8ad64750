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

"""A scripted stand-in for the libvirt bindings.

libvirt's test driver (``test:///default``) has no migration jobs: no job
stats, no abortJob, no post-copy. This double plays those parts from a
script of job-stat readings, so every path of the monitor can be driven
without a hypervisor. It implements only the calls the driver makes.
"""

import threading

# libvirt's public constants (a stable ABI); test_libvirt_real checks them
# against the real bindings when those are installed.
VIR_DOMAIN_JOB_NONE = 0
VIR_DOMAIN_JOB_UNBOUNDED = 2
VIR_DOMAIN_JOB_COMPLETED = 3
VIR_DOMAIN_JOB_FAILED = 4
VIR_DOMAIN_JOB_CANCELLED = 5
VIR_MIGRATE_LIVE = 1
VIR_MIGRATE_PEER2PEER = 2
VIR_MIGRATE_PERSIST_DEST = 8
VIR_MIGRATE_UNDEFINE_SOURCE = 16
VIR_MIGRATE_NON_SHARED_DISK = 64
VIR_MIGRATE_POSTCOPY = 32768
VIR_ERR_INTERNAL_ERROR = 1
VIR_ERR_NO_SUPPORT = 3
VIR_ERR_NO_CONNECT = 5
VIR_ERR_INVALID_CONN = 6
VIR_ERR_OPERATION_FAILED = 9
VIR_ERR_SYSTEM_ERROR = 38
VIR_ERR_RPC = 39
VIR_ERR_NO_DOMAIN = 42
VIR_ERR_OPERATION_INVALID = 55
VIR_ERR_OPERATION_ABORTED = 78
VIR_FROM_RPC = 7
VIR_FROM_QEMU = 10
VIR_FROM_REMOTE = 13
VIR_DOMAIN_RUNNING = 1
VIR_DOMAIN_PAUSED = 3
VIR_DOMAIN_SHUTOFF = 5
VIR_DOMAIN_PAUSED_POSTCOPY = 12
VIR_MIGRATE_PARAM_URI = 'migrate_uri'
VIR_MIGRATE_PARAM_BANDWIDTH = 'bandwidth'
VIR_MIGRATE_PARAM_MIGRATE_DISKS = 'migrate_disks'

CONSTANTS = {name: value for name, value in globals().items()
             if name.startswith('VIR_')}

GIB = 1024 ** 3
# Bounds for waits between the test, the monitor and the migration call,
# so that a broken driver fails a test instead of hanging it.
WAIT_SECONDS = 10


def make_error_class(base=Exception):
    """A libvirtError class carrying its own code and domain.

    With the real ``libvirt.libvirtError`` as ``base`` the driver catches
    it as a genuine libvirt error (for doubles wrapping real domains).
    """

    class ScriptedError(base):
        def __init__(self, msg, code=VIR_ERR_INTERNAL_ERROR,
                     domain=VIR_FROM_QEMU):
            Exception.__init__(self, msg)
            self.msg, self.code, self.domain = msg, code, domain

        def get_error_code(self):
            return self.code

        def get_error_domain(self):
            return self.domain

        def get_error_message(self):
            return self.msg

    return ScriptedError


libvirtError = make_error_class()


def running(memory_total=4 * GIB, memory_processed=0, memory_remaining=None,
            disk_total=0, disk_processed=0, disk_remaining=None):
    """One job-stats reading of an active migration."""
    if memory_remaining is None:
        memory_remaining = memory_total - memory_processed
    if disk_remaining is None:
        disk_remaining = disk_total - disk_processed
    return {'type': VIR_DOMAIN_JOB_UNBOUNDED, 'time_elapsed': 1000,
            'memory_total': memory_total,
            'memory_processed': memory_processed,
            'memory_remaining': memory_remaining, 'disk_total': disk_total,
            'disk_processed': disk_processed,
            'disk_remaining': disk_remaining}


COMPLETED = {'type': VIR_DOMAIN_JOB_COMPLETED}
FAILED = {'type': VIR_DOMAIN_JOB_FAILED}
CANCELLED = {'type': VIR_DOMAIN_JOB_CANCELLED}
_ENDS = {VIR_DOMAIN_JOB_COMPLETED: 'completed', VIR_DOMAIN_JOB_FAILED:
         'failed', VIR_DOMAIN_JOB_CANCELLED: 'cancelled'}


class FakeDomain:
    """A guest whose migration job follows ``script``.

    Each job-stats read takes the next reading; the last one repeats while
    the job is active (a migration that does not converge). Switching to
    post-copy, suspending the guest or aborting replaces the rest of the
    script (``on_post_copy``, ``on_suspend``, a cancelled reading).
    ``report_end=False`` hides end readings from job stats, as when the job
    vanishes before the monitor reads it; the migration call still returns
    or raises as the end says. ``backing`` is a real libvirt domain that
    answers for the guest's run state (suspend, resume, info).
    """

    def __init__(self, uuid, script, errors=libvirtError,
                 memory_kib=1024 * 1024, on_post_copy=(), on_suspend=(),
                 post_copy_error=None, suspend_error=None,
                 migrate_error=None, stats_api='jobStats', report_end=True,
                 backing=None, abort_refusals=0, delegate=(),
                 disks_xml='', resumes_itself=False, on_migrate=None,
                 job_outlives_call=False):
        self.uuid = uuid
        self.errors = errors
        self.memory_kib = memory_kib
        self.script = list(script)
        self.on_post_copy, self.on_suspend = on_post_copy, on_suspend
        self.post_copy_error, self.suspend_error = (post_copy_error,
                                                    suspend_error)
        self.migrate_error = migrate_error
        self.stats_api = stats_api
        self.report_end = report_end
        self.backing = backing
        self.abort_refusals = abort_refusals
        self.delegate = delegate
        self.disks_xml = disks_xml
        # As real libvirt does: a guest paused during its migration runs
        # again once the job fails or is cancelled.
        self.resumes_itself = resumes_itself
        self.on_migrate = on_migrate
        # The call fails (its connection dropped) while the daemon's job
        # goes on along the script.
        self.job_outlives_call = job_outlives_call
        self.run_state = VIR_DOMAIN_RUNNING
        self.calls = []
        # (call, job reads before it): when in the job's life it came.
        self.timeline = []
        self.migrate_args = None
        self.max_downtime = self.max_speed = None
        self.post_copy = False
        self.reads = 0
        self.end = None
        self.holding = threading.Event()
        self._cond = threading.Condition()

    # -- the guest ------------------------------------------------------------

    def UUIDString(self):
        return self.uuid

    def info(self):
        if self.backing is not None:
            return self.backing.info()
        return [self.run_state, self.memory_kib, self.memory_kib, 1, 0]

    def state(self):
        if self.backing is not None:
            return self.backing.state()
        return [self.run_state, 0]

    def isActive(self):
        return int(self.run_state != VIR_DOMAIN_SHUTOFF)

    def XMLDesc(self, flags=0):
        return ("<domain type='qemu'><uuid>%s</uuid><devices>%s</devices>"
                "</domain>" % (self.uuid, self.disks_xml))

    def suspend(self):
        self._record('suspend')
        if self.suspend_error:
            raise self.errors(self.suspend_error, VIR_ERR_OPERATION_FAILED)
        if self.backing is not None:
            self.backing.suspend()
        self.run_state = VIR_DOMAIN_PAUSED
        with self._cond:
            if self.migrate_args is not None and self.end is None:
                self._replace(self.on_suspend)

    def resume(self):
        self._record('resume')
        if self.backing is not None:
            self.backing.resume()
        elif self.run_state != VIR_DOMAIN_PAUSED:
            raise self.errors('Requested operation is not valid: domain is '
                              'not paused', VIR_ERR_OPERATION_INVALID)
        self.run_state = VIR_DOMAIN_RUNNING

    # -- the migration job ----------------------------------------------------

    def migrateToURI3(self, uri, params, flags):
        self._record('migrateToURI3')
        if self.on_migrate is not None:
            self.on_migrate()
        with self._cond:
            self.migrate_args = (uri, params, flags)
            self._cond.notify_all()
            if self.migrate_error is not None:
                if not self.job_outlives_call:
                    self.end = 'refused'
                raise self.migrate_error
            if self.stats_api is None:
                # Nobody reads the job: it runs to the script's end.
                self.end = _ENDS[self.script[-1]['type']]
            if not self._cond.wait_for(lambda: self.end is not None,
                                       WAIT_SECONDS):
                raise self.errors('fake migration never ended')
        if self.end == 'completed':
            self.run_state = VIR_DOMAIN_SHUTOFF
            return 0
        if self.resumes_itself and self.backing is None:
            self.run_state = VIR_DOMAIN_RUNNING
        if self.end == 'failed':
            raise self.errors('operation failed: migration out job: '
                              'unexpectedly failed', VIR_ERR_OPERATION_FAILED)
        raise self.errors('operation aborted: migration out job: canceled '
                          'by client', VIR_ERR_OPERATION_ABORTED)

    def jobStats(self):
        if self.stats_api != 'jobStats':
            raise self.errors('this function is not supported by the '
                              'connection driver: virDomainGetJobStats',
                              VIR_ERR_NO_SUPPORT)
        return self._read()

    def jobInfo(self):
        if self.stats_api != 'jobInfo':
            raise self.errors('this function is not supported by the '
                              'connection driver: virDomainGetJobInfo',
                              VIR_ERR_NO_SUPPORT)
        stats = self._read()
        return [stats.get('type', VIR_DOMAIN_JOB_NONE), 0, 0, 0, 0, 0,
                stats.get('memory_total', 0),
                stats.get('memory_processed', 0),
                stats.get('memory_remaining', 0),
                stats.get('disk_total', 0), stats.get('disk_processed', 0),
                stats.get('disk_remaining', 0)]

    def abortJob(self):
        self._record('abortJob')
        if 'abortJob' in self.delegate:
            return self.backing.abortJob()
        with self._cond:
            refuse = self.abort_refusals > 0
            self.abort_refusals -= 1
            if refuse or self.migrate_args is None or self.end is not None:
                raise self.errors('Requested operation is not valid: no job '
                                  'is active on the domain',
                                  VIR_ERR_OPERATION_INVALID)
            if self.post_copy:
                raise self.errors('Requested operation is not valid: cannot '
                                  'abort migration in post-copy mode',
                                  VIR_ERR_OPERATION_INVALID)
            self._replace([CANCELLED])
        return 0

    def migrateSetMaxDowntime(self, downtime, flags=0):
        self._record('migrateSetMaxDowntime')
        with self._cond:
            self.max_downtime = downtime
        return 0

    def migrateSetMaxSpeed(self, bandwidth, flags=0):
        self._record('migrateSetMaxSpeed')
        with self._cond:
            self.max_speed = bandwidth
        return 0

    def migrateStartPostCopy(self):
        self._record('migrateStartPostCopy')
        if 'migrateStartPostCopy' in self.delegate:
            return self.backing.migrateStartPostCopy()
        if self.post_copy_error:
            raise self.errors(self.post_copy_error, VIR_ERR_OPERATION_INVALID)
        with self._cond:
            if not self.migrate_args[2] & VIR_MIGRATE_POSTCOPY:
                raise self.errors('Requested operation is not valid: '
                                  'switching to post-copy requires '
                                  'migration to be started with '
                                  'VIR_MIGRATE_POSTCOPY flag',
                                  VIR_ERR_OPERATION_INVALID)
            self.post_copy = True
            self._replace(self.on_post_copy)
        return 0

    # -- for the test ---------------------------------------------------------

    def finish(self, reading):
        """End a holding job with ``reading`` at the next read."""
        with self._cond:
            self._replace([reading])

    def wait_reads(self, count):
        """Block until the monitor has read the job ``count`` times."""
        with self._cond:
            return self._cond.wait_for(lambda: self.reads >= count,
                                       WAIT_SECONDS)

    def _record(self, name):
        with self._cond:
            self.calls.append(name)
            self.timeline.append((name, self.reads))

    def _replace(self, readings):
        self.holding.clear()
        self.script = list(readings) or self.script[-1:]

    def _read(self):
        with self._cond:
            # Like libvirt, no job until the migration call has begun; the
            # wait keeps the monitor's clock in step with the script.
            self._cond.wait_for(lambda: self.migrate_args is not None,
                                WAIT_SECONDS)
            self.reads += 1
            self._cond.notify_all()
            if self.end is not None:
                if self.end == 'completed':
                    raise self.errors('Domain not found: no domain with '
                                      'matching uuid', VIR_ERR_NO_DOMAIN)
                return {'type': VIR_DOMAIN_JOB_NONE}
            reading = self.script[0]
            if len(self.script) > 1:
                self.script.pop(0)
            elif reading['type'] not in _ENDS:
                self.holding.set()
            end = _ENDS.get(reading['type'])
            if end is None:
                return dict(reading)
            self.end = end
            self._cond.notify_all()
            return dict(reading) if self.report_end else {
                'type': VIR_DOMAIN_JOB_NONE}
