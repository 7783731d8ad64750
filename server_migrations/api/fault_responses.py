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

"""Compute faults: the body clients parse, built from any exception.

``{"<faultName>": {"code": N, "message": "..."}}``, with Nova's fault
names. Used by the fault wrapper, and by every part of the pipeline that
answers a refusal itself (auth, discovery, the router in a host stack).
"""

from oslo_log import log as logging
from oslo_serialization import jsonutils
import webob
import webob.exc

from server_migrations.db import errors as db_errors
from server_migrations import exception

LOG = logging.getLogger(__name__)

CONTENT_TYPE = 'application/json; charset=UTF-8'
FAULT_NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    409: 'conflictingRequest',
    413: 'overLimit',
    415: 'badMediaType',
    429: 'overLimit',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}
KNOWN_NAMES = frozenset(FAULT_NAMES.values()) | {'computeFault'}
GENERIC_500 = 'Unexpected API Error. Please contact the administrator.'
# Messages for errors produced by other middleware (sizelimit, authtoken),
# whose own bodies are HTML or in another JSON shape.
FOREIGN_MESSAGES = {
    401: 'The request you have made requires authentication.',
    404: 'The resource could not be found.',
    413: 'Request is too large.',
}


def fault_name(code):
    return FAULT_NAMES.get(code, 'computeFault')


def fault_response(code, message, headers=None):
    """A ``{"<faultName>": {"code": N, "message": "..."}}`` response."""
    body = {fault_name(code): {'code': code, 'message': message}}
    response = webob.Response(status=code, headerlist=list(headers or []))
    response.content_type = 'application/json'
    response.charset = 'UTF-8'
    response.body = jsonutils.dump_as_bytes(body)
    # Exact header value clients and tests compare against.
    response.headers['Content-Type'] = CONTENT_TYPE
    return response


def from_exception(exc):
    """The fault response for any exception (logged when unexpected)."""
    if isinstance(exc, exception.ServerMigrationsException):
        if exc.code >= 500:
            LOG.warning('Answering %(code)s: %(msg)s',
                        {'code': exc.code, 'msg': exc.format_message()})
        return fault_response(exc.code, exc.format_message())
    if isinstance(exc, webob.exc.HTTPException):
        code = exc.code
        message = (FOREIGN_MESSAGES.get(code) or exc.detail or
                   exc.explanation)
        return fault_response(code, message)
    if db_errors.is_unavailable(exc):
        LOG.error('Database unavailable: %s', exc)
        return from_exception(exception.DBConnectionError())
    # Never leak a class name, SQL or a traceback: log it, answer generic.
    LOG.error('Unexpected error answering a request', exc_info=exc)
    return fault_response(500, GENERIC_500)


def path_is_utf8(environ):
    """Whether the request path decodes (WSGI hands it over as latin-1)."""
    try:
        environ.get('PATH_INFO', '').encode('latin-1').decode('utf-8')
    except UnicodeError:
        return False
    return True


def is_fault(response):
    """Whether ``response`` is already a fault in our format."""
    if response.content_type != 'application/json':
        return False
    try:
        body = jsonutils.loads(response.body)
    except ValueError:
        return False
    if not isinstance(body, dict) or len(body) != 1:
        return False
    name, inner = next(iter(body.items()))
    if name not in KNOWN_NAMES:
        # e.g. keystonemiddleware's {"error": {...}}
        return False
    return isinstance(inner, dict) and set(inner) >= {'code', 'message'}
