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

"""Every policy rule of the service (the oslo.policy.policies entry point)."""

import itertools

from server_migrations.policies import base
from server_migrations.policies import instance_actions
from server_migrations.policies import migrate_server
from server_migrations.policies import migrations
from server_migrations.policies import server_migrations


def list_rules():
    return list(itertools.chain(
        base.list_rules(),
        server_migrations.list_rules(),
        migrate_server.list_rules(),
        migrations.list_rules(),
        instance_actions.list_rules(),
    ))
