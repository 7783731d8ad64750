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

"""Identity look-ups the openstack CLI makes here: refused (403).

``openstack server migration list --user/--project`` resolves the names
through the identity endpoint; without Keystone (noauth2, the all-in-one)
that endpoint is pointed at this service (``OS_IDENTITY_ENDPOINT_OVERRIDE``).
The service holds no identity records, and the CLI takes a name it is
forbidden to look up as an ID, which is what it then filters on.
"""

from server_migrations.api import dispatch
from server_migrations import exception


@dispatch.handler('2.1')
def refuse_identity_lookup(req):
    raise exception.Forbidden(
        'This is not an identity service: give user and project IDs.')
