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

"""The interface every virt driver implements, and how one is loaded.

The compute manager owns the migration record and every status change; a
driver only runs the hypervisor operations and reports what happened.
"""

import abc

from stevedore import driver as stevedore_driver

from server_migrations import exception

NAMESPACE = 'server_migrations.virt'

# What ``live_migration`` returns when it ends without raising.
COMPLETED = 'completed'
FAILED = 'failed'
CANCELLED = 'cancelled'

# What ``live_migration_force_complete`` did.
POST_COPY = 'post-copy'
PAUSED = 'paused'

# Where ``recover_migration`` found a guest after its migration's copy was
# lost to the agent (a restart, a shutdown past its budget).
ON_SOURCE = 'source'
ON_DESTINATION = 'destination'
UNKNOWN = 'unknown'


class MigrationMonitor(abc.ABC):
    """Callbacks the manager hands to ``live_migration``."""

    @abc.abstractmethod
    def progress(self, stats):
        """Report progress as a dict of byte counters.

        Any of ``memory_total``, ``memory_processed``, ``memory_remaining``,
        ``disk_total``, ``disk_processed``, ``disk_remaining``.
        """

    @abc.abstractmethod
    def post_copy_started(self):
        """The migration switched to post-copy on its own.

        For instance as a timeout action; the manager records
        ``running (post-copy)``.
        """

    def timed_out(self, elapsed, action):
        """The copy outran its completion timeout; ``action`` is being taken.

        :param elapsed: seconds the copy had run.
        :param action: ``abort`` or ``force_complete``. The manager gives it
            as the reason should the migration then end.
        """


class ComputeDriver(abc.ABC):
    """A hypervisor as the compute agent sees it."""

    def __init__(self, conf, host):
        self.conf = conf
        self.host = host

    def init_host(self):
        """Connect to the hypervisor; called once when the agent starts."""

    def cleanup_host(self):
        """Release the hypervisor connection when the agent stops."""

    def is_healthy(self):
        """Whether the hypervisor answers (reported in the heartbeat)."""
        return True

    @abc.abstractmethod
    def live_migration(self, instance, migration, dest, block_migration,
                       monitor):
        """Migrate ``instance`` to host ``dest``; block until it ends.

        :param instance: the instance record (dict).
        :param migration: the migration record (dict).
        :param block_migration: copy local disks too: True, False, or
            "auto" (copy them unless they are on shared storage).
        :param monitor: a MigrationMonitor for progress reports.
        :returns: COMPLETED, FAILED or CANCELLED.
        :raises: any exception for an error (the migration ends as
            ``error``).
        """

    @abc.abstractmethod
    def live_migration_force_complete(self, instance):
        """Make the active migration of ``instance`` converge.

        :returns: POST_COPY if it switched to post-copy, PAUSED if it paused
            the guest (resumed by the driver if the migration then fails or
            is cancelled).
        :raises exception.NoActiveMigrationForInstance: nothing to act on.
        """

    @abc.abstractmethod
    def live_migration_abort(self, instance):
        """Cancel the active migration of ``instance``.

        ``live_migration`` then returns CANCELLED.
        :raises exception.NoActiveMigrationForInstance: nothing to act on.
        :raises exception.LiveMigrationAbortFailed: the hypervisor refused
            (e.g. post-copy is already running).
        """

    def live_migration_tune(self, instance, max_downtime=None,
                            bandwidth=None):
        """Change the running migration of ``instance``.

        :param max_downtime: the longest pause (ms) the final stop-and-copy
            may take.
        :param bandwidth: MiB/s the copy may use.
        :raises exception.NoActiveMigrationForInstance: nothing to act on.
        """
        raise exception.ServerMigrationsException(
            'This hypervisor driver cannot tune a running migration.')

    def recover_migration(self, instance, migration, timeout=None):
        """Settle on the hypervisor a migration this agent lost track of.

        Called at agent start for each migration a previous run left
        ``running`` or ``running (post-copy)``, and at shutdown for one
        still copying past the deadline. Stops a copy that can still be
        stopped (a job left running before post-copy), then says where the
        guest runs now.

        :param instance: the instance record (dict).
        :param migration: the migration record (dict), with ``status``
            and ``dest_compute``.
        :param timeout: seconds to wait at most for a copy to stop (None:
            the driver's own bound; a shutdown has little time left).
        :returns: ON_SOURCE, ON_DESTINATION or UNKNOWN (the hypervisor
            cannot tell now).
        """
        return UNKNOWN


def load_driver(conf, host):
    """Load the driver named by ``[compute] driver`` through stevedore."""
    manager = stevedore_driver.DriverManager(
        namespace=NAMESPACE, name=conf.compute.driver,
        invoke_on_load=True, invoke_args=(conf, host))
    return manager.driver
