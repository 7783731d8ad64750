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

"""A manual check of the libvirt driver on a real host, without an agent.

Run on the source host, as the agent's user, with the agent's config file::

    python -m server_migrations.virt.libvirt.check \
        --config-file /etc/server-migrations/server-migrations.conf \
        --dest kvm2 [--block-migration] [--force-complete-after 20] \
        [--abort-after 20] SERVER_UUID

It migrates the guest through the driver exactly as the agent would,
prints each progress report, can force-complete or abort after a delay,
and exits 0 only when the migration completed.
"""

import sys
import threading

from oslo_config import cfg

from server_migrations import exception
from server_migrations import migration_states as states
from server_migrations import startup
from server_migrations.virt import driver as driver_mod

GIB = 1024 ** 3

cli_opts = [
    cfg.StrOpt('dest', required=True,
               help='Destination host name (fills live_migration_uri).'),
    cfg.BoolOpt('block-migration', default=False,
                help='Copy the local disks too.'),
    cfg.FloatOpt('force-complete-after', min=0,
                 help='Force the migration to complete after this many '
                      'seconds.'),
    cfg.FloatOpt('abort-after', min=0,
                 help='Abort the migration after this many seconds.'),
    cfg.IntOpt('memory-mb', min=1,
               help='Guest RAM in MiB for the completion timeout (default: '
                    'libvirt\'s figure).'),
    cfg.StrOpt('server', positional=True, required=True,
               help='UUID of the libvirt domain to migrate.'),
]


class PrintingMonitor(driver_mod.MigrationMonitor):

    def __init__(self, out):
        self.out = out

    def progress(self, stats):
        self.out('progress: memory %.2f of %.2f GiB copied, %.2f GiB left; '
                 'disk %.2f of %.2f GiB copied, %.2f GiB left' % tuple(
                     stats[states.PROGRESS_FIELDS[i]] / GIB
                     for i in (1, 0, 2, 4, 3, 5)))

    def post_copy_started(self):
        self.out('post-copy started (completion timeout action)')


def _later(seconds, name, action, out, done):
    """Run ``action`` once the migration has run ``seconds``."""
    def act():
        if done.wait(seconds):
            return
        while True:
            try:
                out('%s: %s' % (name, action() or 'requested'))
                return
            except exception.NoActiveMigrationForInstance:
                # The job is not registered yet: try again until it ends.
                if done.wait(0.1):
                    out('%s: the migration had already ended' % name)
                    return
            except Exception as e:
                out('%s failed: %s' % (name, e))
                return

    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    return thread


def run(conf, driver, out=print):
    """The check itself; returns the migration's result."""
    uuid = conf.server
    instance = {'uuid': uuid}
    if conf.memory_mb:
        instance['memory_mb'] = conf.memory_mb
    healthy = driver.is_healthy()
    out('libvirt at %s: %s' % (conf.libvirt.connection_uri,
                               'answers' if healthy else 'NOT reachable'))
    if not healthy:
        return None
    out('migrating %s to %s (%s), block migration: %s, post-copy '
        'permitted: %s' % (uuid, conf.dest,
                           conf.libvirt.live_migration_uri % conf.dest,
                           conf.block_migration,
                           conf.libvirt.live_migration_permit_post_copy))
    done = threading.Event()
    actions = []
    if conf.force_complete_after is not None:
        actions.append(_later(
            conf.force_complete_after, 'force-complete',
            lambda: driver.live_migration_force_complete(instance), out,
            done))
    if conf.abort_after is not None:
        actions.append(_later(
            conf.abort_after, 'abort',
            lambda: driver.live_migration_abort(instance), out, done))
    try:
        result = driver.live_migration(instance, {'id': None}, conf.dest,
                                       conf.block_migration,
                                       PrintingMonitor(out))
    finally:
        done.set()
        for thread in actions:
            thread.join(10)
    out('result: %s' % result)
    return result


def main(argv=None):
    conf = startup.setup(sys.argv[1:] if argv is None else argv,
                         cli_opts=cli_opts)
    conf.set_override('driver', 'libvirt', group='compute')
    driver = driver_mod.load_driver(conf, conf.host)
    try:
        driver.init_host()
        result = run(conf, driver)
    except Exception as e:
        startup.fail('%s: %s' % (type(e).__name__, e))
    finally:
        driver.cleanup_host()
    return 0 if result == driver_mod.COMPLETED else 1


if __name__ == '__main__':
    sys.exit(main())
