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

"""``policy check``: whether the policy file the API reads can be read.

The API keeps the last rules it could read when the file goes bad (and
logs it once); this is the command that says so on demand.
"""

from server_migrations import policy


def add_parsers(subparsers):
    parser = subparsers.add_parser('policy', help='the policy file')
    actions = parser.add_subparsers(dest='action', metavar='{check}')
    actions.required = True
    actions.add_parser(
        'check', help='exit 1 if the policy file cannot be read (the API '
                      'then keeps the rules it read last)')


class PolicyCommands:

    def __init__(self, conf):
        self.conf = conf

    def check(self, args):
        enforcer = policy.init(self.conf)
        problem = enforcer.file_problem()
        if problem:
            print('ERROR: policy file %s' % problem)
            return 1
        if enforcer.policy_path:
            print('Policy file %s: readable, %d rule(s) in force.'
                  % (enforcer.policy_path, len(enforcer.file_rules)))
        else:
            print('No policy file (%s): the defaults are in force.'
                  % self.conf.oslo_policy.policy_file)
        return 0
