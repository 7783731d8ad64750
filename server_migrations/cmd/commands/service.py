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

"""server-migrations-manage service ...: the compute agents."""

from oslo_utils import timeutils

from server_migrations.cmd import output
from server_migrations import compute
from server_migrations import context as sm_context
from server_migrations.db import services as db_services

COLUMNS = [('host', 'Host'), ('binary', 'Binary'),
           ('rpc_version', 'RPC Version'), ('state', 'State'),
           ('disabled', 'Disabled'), ('last_seen_at', 'Last Seen At')]


def add_parsers(subparsers):
    parser = subparsers.add_parser('service', help='compute agents')
    actions = parser.add_subparsers(dest='action', metavar='{list}')
    actions.required = True
    listing = actions.add_parser(
        'list', help='agents, their RPC versions, and whether they are up')
    listing.add_argument('-f', '--format', dest='fmt', default='table',
                         choices=output.FORMATS)


class ServiceCommands:

    def __init__(self, conf):
        self.conf = conf
        self.context = sm_context.get_admin_context()

    def list(self, args):
        now = timeutils.utcnow()
        rows = []
        for service in db_services.service_get_all(self.context,
                                                   compute.BINARY):
            up = db_services.service_is_up(
                service, self.conf.service_down_time, now)
            rows.append(dict(service, state='up' if up else 'down'))
        print(output.render(rows, COLUMNS, args.fmt))
        return 0
