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

"""The successful answers of the handlers: JSON, or an empty 202."""

from oslo_serialization import jsonutils
import webob


def json_response(data, status=200):
    response = webob.Response(status=status)
    response.content_type = 'application/json'
    # Successful responses say plain "application/json", as the reference.
    response.charset = None
    response.body = jsonutils.dump_as_bytes(data)
    return response


def empty_response(status=202):
    """A 202 with no body that still says it is JSON (clients expect it)."""
    response = webob.Response(status=status)
    response.content_type = 'application/json'
    response.charset = None
    response.body = b''
    return response
