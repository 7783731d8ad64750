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

"""The migration vocabulary: sets and transitions."""

import testtools

from server_migrations import migration_states as states


class TestVocabulary(testtools.TestCase):

    def test_every_status_is_either_in_flight_or_ended(self):
        self.assertEqual(set(), set(states.IN_FLIGHT) & set(states.ENDED))
        self.assertEqual(set(states.TRANSITIONS), set(states.IN_FLIGHT))
        for targets in states.TRANSITIONS.values():
            self.assertLessEqual(targets, set(states.IN_FLIGHT) |
                                 set(states.ENDED))

    def test_ended_statuses_go_nowhere(self):
        for ended in states.ENDED:
            for other in states.IN_FLIGHT + states.ENDED:
                self.assertFalse(states.allowed(ended, other))

    def test_the_api_sets(self):
        self.assertEqual(('running',), states.abortable(False))
        self.assertEqual(('queued', 'preparing', 'running'),
                         states.abortable(True))
        self.assertEqual(('running',), states.FORCE_COMPLETABLE)
        self.assertNotIn('accepted', states.IN_PROGRESS)
        self.assertLessEqual(set(states.IN_PROGRESS), set(states.IN_FLIGHT))

    def test_sources_keep_only_allowed_transitions(self):
        # Post-copy cannot be cancelled: an abort's swap skips it.
        self.assertEqual(('running',),
                         states.sources(states.COPYING, states.CANCELLED))
        self.assertEqual(('running',), states.sources('running', 'completed'))
        self.assertEqual((), states.sources(('completed', 'error'),
                                            'running'))

    def test_progress_fields_in_api_order(self):
        self.assertEqual('memory_total_bytes', states.PROGRESS_API_FIELDS[0])
        self.assertEqual(6, len(set(states.PROGRESS_FIELDS)))
