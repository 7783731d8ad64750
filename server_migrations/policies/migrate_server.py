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

"""Rules of the migrate-server actions: admin only by default."""

from oslo_policy import policy

from server_migrations.policies import base

POLICY_ROOT = 'os_compute_api:os-migrate-server:%s'
MIGRATE_LIVE = POLICY_ROOT % 'migrate_live'

rules = [
    policy.DocumentedRuleDefault(
        name=MIGRATE_LIVE,
        check_str=base.CONTEXT_IS_ADMIN,
        description='Live migrate a server to a new host without a reboot. '
                    'To let managers of the server\'s project do this too, '
                    'override it with "%s".' % base.PROJECT_MANAGER_OR_ADMIN,
        operations=[{'method': 'POST',
                     'path': '/servers/{server_id}/action (os-migrateLive)'}],
        scope_types=['project']),
]


def list_rules():
    return rules
