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

"""Options of the [compute] and [upgrade_levels] groups (compute agents)."""

from oslo_config import cfg

GROUP = cfg.OptGroup('compute', title='Compute agent options')
UPGRADE_GROUP = cfg.OptGroup(
    'upgrade_levels', title='RPC version caps',
    help='Caps on the RPC versions sent to other services, for rolling '
         'upgrades: while old agents run, new API nodes keep speaking the '
         'version the old agents understand.')

opts = [
    cfg.StrOpt(
        'driver',
        default='fake',
        help='Virt driver the compute agent uses, by its name in the '
             '"server_migrations.virt" entry points: "fake" (a simulated '
             'hypervisor, for tests and the demo) or "libvirt" (real '
             'KVM/QEMU hosts; install the [libvirt] extra).'),
    cfg.IntOpt(
        'max_concurrent_live_migrations',
        default=1,
        min=1,
        help='Live migrations this agent runs at the same time as their '
             'source. Further requests wait in status "queued" and can be '
             'aborted there (microversion 2.65 and later).'),
    cfg.IntOpt(
        'heartbeat_interval',
        default=10,
        min=1,
        help='Seconds between two heartbeats of the agent in the services '
             'table. Must be well below [DEFAULT] service_down_time.'),
    cfg.FloatOpt(
        'action_poll_interval',
        default=2.0,
        min=0.1,
        help='Seconds between two polls of the database for actions of '
             'this host (start, force-complete, abort) that no RPC cast '
             'delivered: the broker was away, the cast was lost, or the API '
             'stopped before sending it. The cast is only the fast path; '
             'such an action is carried out within about this interval.'),
    cfg.IntOpt(
        'action_timeout',
        default=600,
        min=1,
        help='Seconds an accepted action may wait for the agent of its host '
             'while that agent is down. Past it, a live agent closes the '
             'action with an Error event that says so (a live migration '
             'that never started ends as "error"). An agent that comes back '
             'within it carries the action out.'),
    cfg.IntOpt(
        'live_migration_progress_timeout',
        default=0,
        min=0,
        help='Seconds a running live migration may go without progress '
             'before live_migration_progress_timeout_action is taken, once. '
             'Progress is judged per copy iteration: a pass over the '
             'guest\'s memory that starts with less left than any pass '
             'before it (the first pass and a disk copy always progress), '
             'while the guest dirties memory more slowly than the link '
             'sends it. 0 turns the policy off. The migration records "no '
             'progress for N s" as the reason it ended, and the agent sends '
             'the notification live_migration.stalled.'),
    cfg.StrOpt(
        'live_migration_progress_timeout_action',
        default='abort',
        choices=[('abort', 'cancel the migration; the server stays on its '
                           'source'),
                 ('force_complete', 'switch to post-copy if permitted, '
                                    'else pause the guest so the copy '
                                    'converges')],
        help='What is done to a live migration that made no progress for '
             'live_migration_progress_timeout seconds.'),
    cfg.IntOpt(
        'live_migration_progress_notification_interval',
        default=0,
        min=0,
        help='Seconds between two live_migration.progress notifications of '
             'a running live migration (its counters and whether it '
             'converges, with the estimated time left, the dirty rate and '
             'the transfer rate). 0 sends none.'),
]

upgrade_opts = [
    cfg.StrOpt(
        'compute',
        help='Highest compute RPC version the API may send, e.g. "1.0". '
             '"auto" reads the oldest version reported by a live agent in '
             'the services table (the client\'s newest version when no '
             'agent is alive). Unset means no cap.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)
    conf.register_group(UPGRADE_GROUP)
    conf.register_opts(upgrade_opts, group=UPGRADE_GROUP)


def list_opts():
    return {GROUP: opts, UPGRADE_GROUP: upgrade_opts}
