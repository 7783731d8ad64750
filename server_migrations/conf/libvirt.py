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

"""Options of the [libvirt] group (the libvirt virt driver)."""

from oslo_config import cfg

GROUP = cfg.OptGroup('libvirt', title='Libvirt driver options')

opts = [
    cfg.StrOpt(
        'connection_uri',
        default='qemu:///system',
        help='libvirt URI of the local hypervisor. "test:///default" '
             'is libvirt\'s built-in test driver (no daemon needed).'),
    cfg.StrOpt(
        'live_migration_uri',
        default='qemu+tcp://%s/system',
        help='Template of the destination\'s libvirt URI for peer-to-peer '
             'live migration; "%s" is replaced by the destination host name '
             '(e.g. "qemu+ssh://%s/system" or "qemu+tls://%s/system").'),
    cfg.StrOpt(
        'peer_connection_uri',
        help='Template of the libvirt URI this agent uses itself to ask a '
             'peer host\'s libvirtd whether it runs a guest (to settle a '
             'migration whose outcome the agent lost); "%s" is replaced by '
             'the host name. Default: live_migration_uri (which the source '
             'libvirtd uses, with its own credentials).'),
    cfg.StrOpt(
        'live_migration_inbound_uri',
        help='Template of the URI the source QEMU sends the guest\'s data '
             'to ("%s" is replaced by the destination host name), e.g. '
             '"tcp://%s-migration" for a dedicated migration network. '
             'Default: libvirt\'s choice (the destination\'s host name).'),
    cfg.IntOpt(
        'live_migration_bandwidth',
        default=0,
        min=0,
        help='Maximum bandwidth of a live migration in MiB/s; 0 means '
             'unlimited.'),
    cfg.BoolOpt(
        'shared_storage',
        default=False,
        help='The guests\' disk files are on storage both the source and '
             'the destination see (NFS, a cluster file system). With '
             'block_migration "auto" the disks are then not copied. A guest '
             'without local disk files (network disks only, or none) is '
             'never block-migrated by "auto".'),
    cfg.BoolOpt(
        'live_migration_permit_post_copy',
        default=False,
        help='Allow a live migration to switch to post-copy. When true, '
             'force-complete switches a running migration to post-copy (the '
             'guest runs on the destination and pulls its remaining memory '
             'pages); when false, force-complete pauses the guest until the '
             'copy converges and resumes it if the migration then fails. A '
             'guest that is paused when its migration starts is never '
             'switched to post-copy.'),
    cfg.IntOpt(
        'live_migration_monitor_interval',
        default=5,
        min=1,
        help='Seconds between two writes of a running live migration\'s '
             'memory and disk progress to its migration record.'),
    cfg.IntOpt(
        'live_migration_completion_timeout',
        default=800,
        min=0,
        help='Seconds per GiB of guest RAM and copied disk that a live '
             'migration may run before live_migration_timeout_action is '
             'taken. 0 disables the timeout.'),
    cfg.StrOpt(
        'live_migration_timeout_action',
        default='abort',
        choices=[('abort', 'Cancel the migration; the guest stays on the '
                           'source.'),
                 ('force_complete', 'Act as the force-complete API does '
                                    '(post-copy or pause).')],
        help='What to do with a live migration that exceeds '
             'live_migration_completion_timeout.'),
    cfg.IntOpt(
        'live_migration_downtime',
        default=500,
        min=100,
        help='The longest pause (ms) the final stop-and-copy of a live '
             'migration may take, reached in live_migration_downtime_steps '
             'steps (the downtime ladder). migration tune --max-downtime '
             'overrides it for one migration.'),
    cfg.IntOpt(
        'live_migration_downtime_steps',
        default=10,
        min=3,
        help='Steps of the downtime ladder up to live_migration_downtime.'),
    cfg.IntOpt(
        'live_migration_downtime_delay',
        default=75,
        min=3,
        help='Seconds per GiB of guest RAM and copied disk between two '
             'steps of the downtime ladder.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
