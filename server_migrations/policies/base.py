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

"""Reusable rules that the per-resource rules are written in terms of."""

from oslo_policy import policy

CONTEXT_IS_ADMIN = 'rule:context_is_admin'
PROJECT_MANAGER_API = 'rule:project_manager_api'
PROJECT_MANAGER_OR_ADMIN = 'rule:project_manager_or_admin'
PROJECT_MEMBER_OR_ADMIN = 'rule:project_member_or_admin'
PROJECT_READER_OR_ADMIN = 'rule:project_reader_or_admin'

rules = [
    policy.RuleDefault(
        'context_is_admin', 'role:admin',
        description='Decides who is an administrator: an admin sees every '
                    'project\'s servers and may act on locked servers.'),
    policy.RuleDefault(
        'project_manager_api', 'role:manager and project_id:%(project_id)s',
        description='A manager of the project that owns the server.'),
    policy.RuleDefault(
        'project_member_api', 'role:member and project_id:%(project_id)s',
        description='A member of the project that owns the server.'),
    policy.RuleDefault(
        'project_reader_api', 'role:reader and project_id:%(project_id)s',
        description='A reader of the project that owns the server.'),
    policy.RuleDefault(
        'project_manager_or_admin',
        'rule:project_manager_api or rule:context_is_admin',
        description='A manager of the server\'s project, or an admin. Grant '
                    'an operation to project managers by setting its rule '
                    'to "rule:project_manager_or_admin" in policy.yaml.'),
    policy.RuleDefault(
        'project_member_or_admin',
        'rule:project_member_api or rule:context_is_admin',
        description='A member of the server\'s project, or an admin.'),
    policy.RuleDefault(
        'project_reader_or_admin',
        'rule:project_reader_api or rule:context_is_admin',
        description='A reader of the server\'s project, or an admin.'),
]


def list_rules():
    return rules


def admin_only(name, description, operations, deprecated_rule=None):
    """A documented rule of the project scope that only admins pass.

    Every API rule of this project defaults to this; operators open one to
    project roles in their policy file.

    :param operations: ``(method, path)`` pairs.
    :param deprecated_rule: the rule whose override it follows until it is
        set itself (see :func:`as_before`).
    """
    return policy.DocumentedRuleDefault(
        name=name, check_str=CONTEXT_IS_ADMIN, description=description,
        operations=[{'method': method, 'path': path}
                    for method, path in operations],
        scope_types=['project'], deprecated_rule=deprecated_rule)


def as_before(name, reason):
    """A finer rule keeps the audience an operator gave ``name`` before it.

    Used as the ``deprecated_rule`` of a rule split out of ``name``.
    """
    return policy.DeprecatedRule(name, CONTEXT_IS_ADMIN,
                                 deprecated_reason=reason,
                                 deprecated_since='1.0.0')
