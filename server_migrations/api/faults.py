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

"""The one fault path: every error becomes a compute-format JSON fault."""

from oslo_log import log as logging
from oslo_serialization import jsonutils
import webob
import webob.exc

from server_migrations.api import microversion_middleware
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
_KNOWN_NAMES = frozenset(FAULT_NAMES.values()) | {'computeFault'}
GENERIC_500 = 'Unexpected API Error. Please contact the administrator.'
# Messages for errors produced by other middleware (sizelimit, authtoken),
# whose own bodies are HTML or in another JSON shape.
_FOREIGN_MESSAGES = {
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
        message = (_FOREIGN_MESSAGES.get(code) or exc.detail or
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
    if name not in _KNOWN_NAMES:
        # e.g. keystonemiddleware's {"error": {...}}
        return False
    return isinstance(inner, dict) and set(inner) >= {'code', 'message'}


def _foreign_message(response):
    if response.status_code in _FOREIGN_MESSAGES:
        return _FOREIGN_MESSAGES[response.status_code]
    return response.status.split(' ', 1)[-1]


def _discard(data):
    """The ``write`` of a held-back answer: nothing writes here."""
    raise RuntimeError('write() of a held-back WSGI answer')


class _Answered:
    """A WSGI app that replays an answer already started (for webob)."""

    def __init__(self, app_iter, answered, application):
        self.app_iter = app_iter
        self.answered = answered
        self.application = application

    def __call__(self, environ, start_response):
        if not self.answered:
            # start_response is called while iterating: iterate here.
            body = list(self.app_iter)
            close = getattr(self.app_iter, 'close', None)
            if close is not None:
                close()
            self.app_iter = body
        status, headers, exc_info = self.answered
        start_response(status, headers, exc_info)
        return self.app_iter


class FaultWrapper:
    """Outermost filter of our own pipelines.

    Turns any exception into a fault and re-renders the error responses of
    middleware that does not speak the compute format (oslo.middleware's
    sizelimit answers HTML, keystonemiddleware its own JSON), keeping their
    status and headers such as WWW-Authenticate. The microversion
    middleware around it parses the request's version and stamps the
    answers, faults from before the router (auth, size limit) included.
    """

    def __init__(self, application, conf):
        self.application = application
        self.conf = conf
        # The shipped pipeline parses the version in its ``microversion``
        # filter, further out; a pipeline without it gets it parsed here,
        # outside the fault path, so its faults carry the headers too.
        self._versioned = microversion_middleware.MicroversionMiddleware(
            self._answer, conf)

    def __call__(self, environ, start_response):
        if microversion_middleware.parsed(environ):
            return self._answer(environ, start_response)
        return self._versioned(environ, start_response)

    def _answer(self, environ, start_response):
        """Plain WSGI while the answer is a success: webob only for faults.

        A success passes through as the application answered it; an error
        answer or an exception is rendered here with webob.
        """
        if not path_is_utf8(environ):
            # No resource has such a name; and WebOb would raise on it
            # wherever the path is read.
            return from_exception(exception.NotFound())(environ,
                                                        start_response)
        # [status, headers, exc_info] once started; a success is passed on
        # at once, unless it comes after the application returned.
        answered = []
        returned = []

        def start(status, headers, exc_info=None):
            answered[:] = [status, headers, exc_info]
            if not returned and int(status[:3]) < 400:
                return start_response(status, headers, exc_info)
            # Held back: the answer is rendered below.
            return _discard

        try:
            app_iter = self.application(environ, start)
            returned.append(True)
            if answered and int(answered[0][:3]) < 400:
                return app_iter
            # An error, or an application that calls start_response only
            # once its answer is iterated: as webob gets a response.
            response = webob.Request(environ).get_response(
                _Answered(app_iter, answered, self.application))
        except Exception as exc:  # the last line of defence
            return from_exception(exc)(environ, start_response)
        return self._render(response)(environ, start_response)

    def _render(self, response):
        if response.status_code < 400:
            return response
        if not is_fault(response):
            fault = fault_response(response.status_code,
                                   _foreign_message(response))
            for name in ('WWW-Authenticate', 'Retry-After'):
                if name in response.headers:
                    fault.headers[name] = response.headers[name]
            response = fault
        return response
