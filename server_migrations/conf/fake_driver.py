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

"""Options of the [fake_driver] group (the simulated hypervisor)."""

from oslo_config import cfg

GROUP = cfg.OptGroup(
    'fake_driver', title='Simulated hypervisor',
    help='The "fake" virt driver simulates a hypervisor: every instance row '
         'whose host is this agent is one of its guests, and live '
         'migrations copy memory and disk at a simulated bandwidth while the '
         'guest dirties memory.')

opts = [
    cfg.FloatOpt(
        'bandwidth_mbps',
        default=1024.0,
        min=0.001,
        help='Copy rate of a live migration from this host, in MiB/s.'),
    cfg.IntOpt(
        'default_memory_mb',
        default=2048,
        min=1,
        help='Memory of a guest in MiB when neither its instance record '
             '(memory_mb) nor guests_file gives one.'),
    cfg.FloatOpt(
        'default_dirty_rate_mbps',
        default=64.0,
        min=0.0,
        help='Rate at which a running guest dirties its memory, in MiB/s, '
             'when guests_file gives none. A guest whose dirty rate exceeds '
             'bandwidth_mbps never converges until it is force-completed.'),
    cfg.BoolOpt(
        'permit_post_copy',
        default=True,
        help='When true, force-complete switches a running migration to '
             'post-copy; when false it pauses the guest until the copy '
             'converges.'),
    cfg.FloatOpt(
        'step_seconds',
        default=1.0,
        min=0.001,
        help='Simulation tick in seconds; progress is written to the '
             'migration record once per tick.'),
    cfg.StrOpt(
        'guests_file',
        help='Path of a JSON or YAML file mapping server UUIDs to '
             '{"memory_mb": N, "disk_gb": N, "dirty_rate_mbps": N}, to give '
             'particular guests their own size and dirty rate.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
