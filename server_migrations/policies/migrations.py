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

"""Rules of GET /os-migrations, every migration we hold: admin only."""

from oslo_policy import policy

from server_migrations.policies import base

POLICY_ROOT = 'os_compute_api:os-migrations:%s'
INDEX = POLICY_ROOT % 'index'
INDEX_ALL_PROJECTS = POLICY_ROOT % 'index:all_projects'
INDEX_HOST = POLICY_ROOT % 'index:host'

_OPERATIONS = [{'method': 'GET', 'path': '/os-migrations'}]
# An operator who overrode "index" before the two finer rules existed keeps
# the same audience for them.
_INDEX_AS_BEFORE = policy.DeprecatedRule(
    INDEX, base.CONTEXT_IS_ADMIN,
    deprecated_reason='Listing other projects\' migrations and seeing '
                      'their hosts have their own rules, so that the list '
                      'of a project\'s own migrations can be opened to its '
                      'managers alone.',
    deprecated_since='1.0.0')

rules = [
    policy.DocumentedRuleDefault(
        name=INDEX,
        check_str=base.CONTEXT_IS_ADMIN,
        description='List migrations (any type and status), without their '
                    'hosts unless "%s" allows them. To let managers list '
                    'their own project\'s migrations (?project_id=<theirs>), '
                    'override it with "%s", and set "%s" and "%s" '
                    'explicitly: until then they follow this rule.' % (
                        INDEX_HOST, base.PROJECT_MANAGER_OR_ADMIN,
                        INDEX_ALL_PROJECTS, INDEX_HOST),
        operations=_OPERATIONS,
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=INDEX_ALL_PROJECTS,
        check_str=base.CONTEXT_IS_ADMIN,
        description='List the migrations of every project, or of a project '
                    'other than the caller\'s (any request without '
                    '?project_id=<own project>).',
        operations=_OPERATIONS,
        scope_types=['project'],
        deprecated_rule=_INDEX_AS_BEFORE),
    policy.DocumentedRuleDefault(
        name=INDEX_HOST,
        check_str=base.CONTEXT_IS_ADMIN,
        description='See the host fields (source_compute, source_node, '
                    'dest_compute, dest_node, dest_host) of listed '
                    'migrations; without it they are null.',
        operations=_OPERATIONS,
        scope_types=['project'],
        deprecated_rule=_INDEX_AS_BEFORE),
]


def list_rules():
    return rules
