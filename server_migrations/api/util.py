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

"""Small helpers every handler uses: environ keys, JSON in and out."""

from oslo_serialization import jsonutils
import webob

from server_migrations.api import microversion
from server_migrations import exception

CONTEXT_KEY = 'server_migrations.context'
COMPUTE_API_KEY = 'server_migrations.compute_api'
CONF_KEY = 'server_migrations.conf'
BODY_KEY = 'server_migrations.body'
# Deeper than any body of this API: beyond it a body is malformed, well
# before the interpreter's recursion limit (which validators and error
# messages would otherwise reach).
MAX_JSON_DEPTH = 32


def context(req):
    return req.environ[CONTEXT_KEY]


def compute_api(req):
    return req.environ[COMPUTE_API_KEY]


def conf(req):
    return req.environ[CONF_KEY]


def version(req):
    return req.environ[microversion.ENVIRON_KEY]


def path_item(req, name):
    return req.urlvars[name]


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


def invalid_state_conflict(exc, action, server_id):
    """The 409 for an InstanceInvalidState, worded as the reference does.

    A known offending value names it; a null one (task_state None, never
    launched) or a lock falls back to the generic form.
    """
    state = exc.kwargs.get('state')
    if state is not None and not isinstance(exc,
                                            exception.InstanceIsLocked):
        message = ("Cannot '%(action)s' instance %(id)s while it is in "
                   "%(attr)s %(state)s" % {'action': action, 'id': server_id,
                                           'attr': exc.kwargs['attr'],
                                           'state': state})
    else:
        message = ("Instance %(id)s is in an invalid state for "
                   "'%(action)s'" % {'id': server_id, 'action': action})
    return exception.Conflict(message)


def actions(*names):
    """Declare the action names a POST .../action handler accepts.

    The router reads them to answer "There is no such action" before the
    version gate, as the reference does.
    """
    def decorator(func):
        func.action_names = names
        return func
    return decorator
