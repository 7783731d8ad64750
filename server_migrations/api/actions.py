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

"""POST .../action: a handler reads the action its body names.

The body of an action request is an object whose single key names the
action. The handler of the route reads it first, before the request is
admitted and before its version window (an unknown action is named at
every version), as the reference does.
"""

import functools

from server_migrations.api import request_data
from server_migrations import exception


def read(req, name):
    """The body of an action request for ``name``, or the refusal.

    The reference's quirks are kept: a one-element list or string, a
    number, a boolean or null is "not found" (404).

    :raises MalformedRequestBody: not JSON, or not a single key (400).
    :raises NoSuchAction: the single key names another action (400).
    """
    decoded = request_data.decode_json(req.body)
    if isinstance(decoded, dict):
        if len(decoded) != 1:
            raise exception.MalformedRequestBody()
        action = next(iter(decoded))
        if action != name:
            raise exception.NoSuchAction(action=action)
        req.environ[request_data.BODY_KEY] = decoded
        return decoded
    if isinstance(decoded, (list, str)) and len(decoded) != 1:
        raise exception.MalformedRequestBody()
    raise exception.NotFound()


def action(name):
    """The decorated handler serves the action ``name`` of its route.

    It reads the body (``read``) before anything else it does; the body
    is then ``request_data.json_body(req)``.
    """
    def decorator(handler):
        @functools.wraps(handler)
        def read_then_handle(req):
            read(req, name)
            return handler(req)
        return read_then_handle
    return decorator
