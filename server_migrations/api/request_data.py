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

"""What a request sends: its JSON body and its query string, decoded."""

from oslo_serialization import jsonutils

from server_migrations import exception

BODY_KEY = 'server_migrations.body'
# Deeper than any body of this API: beyond it a body is malformed, well
# before the interpreter's recursion limit (which validators and error
# messages would otherwise reach).
MAX_JSON_DEPTH = 32


def _too_deep(value):
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list) and item:
            if depth >= MAX_JSON_DEPTH:
                return True
            pending.extend((child, depth + 1) for child in item)
    return False


def decode_json(raw):
    """``raw`` bytes as JSON, or raise MalformedRequestBody (400).

    Nesting deeper than ``MAX_JSON_DEPTH`` is as malformed as bad syntax:
    a few kilobytes of brackets must not be a 500.
    """
    if not raw:
        raise exception.MalformedRequestBody()
    try:
        value = jsonutils.loads(raw)
    except (ValueError, RecursionError):
        raise exception.MalformedRequestBody()
    if _too_deep(value):
        raise exception.MalformedRequestBody()
    return value


def json_body(req):
    """The request body parsed as JSON (cached), or raise 400."""
    if BODY_KEY not in req.environ:
        req.environ[BODY_KEY] = decode_json(req.body)
    return req.environ[BODY_KEY]


def query(req):
    """The decoded query string (WebOb's ``req.GET``), or raise 400.

    Percent-escapes that are not UTF-8 (``?a=%ff``) cannot name anything.
    """
    try:
        return req.GET
    except UnicodeDecodeError:
        raise exception.ValidationError(
            detail='The query string is not valid UTF-8.')


def query_params(req):
    """The query string as {name: [values]} (the shape schemas check)."""
    params = {}
    for key, value in query(req).items():
        params.setdefault(key, []).append(value)
    return params
