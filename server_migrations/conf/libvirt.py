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
    cfg.BoolOpt(
        'live_migration_permit_post_copy',
        default=False,
        help='Allow a live migration to switch to post-copy. When true, '
             'force-complete switches a running migration to post-copy (the '
             'guest runs on the destination and pulls its remaining memory '
             'pages); when false, force-complete pauses the guest until the '
             'copy converges and resumes it if the migration then fails.'),
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
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
