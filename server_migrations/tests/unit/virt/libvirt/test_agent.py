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

"""server-migrations-compute with the libvirt driver on libvirt's test driver.

The agent must start, heartbeat and stop cleanly with ``[compute] driver =
libvirt`` against ``test:///default`` (no daemon needed).
"""

import signal

import testtools

from server_migrations.tests.unit.compute import agent_base
from server_migrations.tests.unit.compute import test_service
from server_migrations.tests.unit.virt.libvirt import helpers

try:
    import libvirt
except ImportError:
    libvirt = None


@testtools.skipIf(libvirt is None, helpers.NO_BINDINGS)
class LibvirtAgentCommandTest(test_service.CommandTest):

    def _config(self):
        path = super()._config()
        with open(path, 'a') as stream:
            stream.write('[compute]\ndriver = libvirt\n'
                         '[libvirt]\nconnection_uri = test:///default\n')
        return path

    def test_starts_heartbeats_and_stops(self):
        before = self._seen_at()
        proc = self._spawn()
        agent_base.wait_for(lambda: self._seen_at() != before,
                            what='the libvirt agent to heartbeat')
        self.assertIsNone(proc.poll())
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
        with open(self.log_path) as log:
            text = log.read()
        self.assertEqual(0, code, text)
        self.assertNotIn('Traceback', text)
