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

"""What the request context carries over RPC."""

from oslo_serialization import jsonutils

from server_migrations import context as sm_context
from server_migrations import rpc
from server_migrations.tests import base


class SerializerTestCase(base.TestCase):

    def test_token_stays_in_the_api(self):
        context = sm_context.RequestContext(
            user_id='u1', project_id='p1', roles=['admin'], is_admin=True,
            auth_token='gAAAAAB-secret-token')
        serializer = rpc.RequestContextSerializer()
        sent = serializer.serialize_context(context)
        self.assertNotIn('gAAAAAB-secret-token', jsonutils.dumps(sent))
        received = serializer.deserialize_context(sent)
        self.assertIsNone(received.auth_token)
        self.assertEqual(('u1', 'p1', ['admin'], True, context.request_id),
                         (received.user_id, received.project_id,
                          received.roles, received.is_admin,
                          received.request_id))
