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

"""The wording of a refused action, shared by the API and the CLI."""

from server_migrations import exception
from server_migrations import state_conflicts
from server_migrations.tests import base


class StateConflictsTestCase(base.TestCase):

    def test_a_known_state_is_named(self):
        exc = exception.InstanceInvalidState(
            instance_uuid='s1', attr='vm_state', state='stopped',
            method='os-migrateLive')
        self.assertEqual("Cannot 'os-migrateLive' instance s1 while it is "
                         "in vm_state stopped",
                         state_conflicts.message(exc, 'os-migrateLive', 's1'))

    def test_a_null_state_is_generic(self):
        exc = exception.InstanceInvalidState(
            instance_uuid='s1', attr='launched_at', state=None,
            method='force_complete')
        self.assertEqual("Instance s1 is in an invalid state for "
                         "'force_complete'",
                         state_conflicts.message(exc, 'force_complete', 's1'))
        self.assertEqual(state_conflicts.message(exc, 'force_complete', 's1'),
                         state_conflicts.generic_message('force_complete',
                                                         's1'))
