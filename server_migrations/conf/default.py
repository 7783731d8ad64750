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

"""Options of the [DEFAULT] group: identity of this process and its state."""

import os
import socket

from oslo_config import cfg

DEFAULT_STATE_PATH = os.path.join(os.path.expanduser('~'), '.local', 'state',
                                  'server-migrations')

opts = [
    cfg.StrOpt(
        'host',
        default=socket.gethostname(),
        sample_default='<current hostname>',
        help='Name of this compute agent. It is the RPC server name that the '
             'API casts to (topic "compute", server=<host>), the value '
             'stored in the instances.host and migrations.source_compute / '
             'dest_compute columns, and the agent\'s row in the services '
             'table. It must be unique among agents and must not change '
             'while servers live on this host.'),
    cfg.StrOpt(
        'state_path',
        default=DEFAULT_STATE_PATH,
        sample_default='~/.local/state/server-migrations',
        help='Directory for this service\'s local state. The default '
             'SQLite database ([database] connection) lives here.'),
    cfg.IntOpt(
        'service_down_time',
        default=60,
        min=1,
        help='Seconds without a heartbeat after which a compute agent counts '
             'as down. Down agents are not chosen as live-migration '
             'destinations and are ignored by [upgrade_levels] compute = '
             'auto. Keep it well above [compute] heartbeat_interval.'),
]


def register_opts(conf):
    conf.register_opts(opts)


def list_opts():
    return {'DEFAULT': opts}
