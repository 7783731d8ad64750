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

import webob
import webob.exc

from server_migrations.api import fault_responses
from server_migrations.api import microversion_middleware
from server_migrations.api import request_environ
from server_migrations import exception


def _foreign_message(response):
    if response.status_code in fault_responses.FOREIGN_MESSAGES:
        return fault_responses.FOREIGN_MESSAGES[response.status_code]
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
        if request_environ.parsed(environ):
            return self._answer(environ, start_response)
        return self._versioned(environ, start_response)

    def _answer(self, environ, start_response):
        """Plain WSGI while the answer is a success: webob only for faults.

        A success passes through as the application answered it; an error
        answer or an exception is rendered here with webob.
        """
        if not fault_responses.path_is_utf8(environ):
            # No resource has such a name; and WebOb would raise on it
            # wherever the path is read.
            return fault_responses.from_exception(exception.NotFound())(
                environ, start_response)
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
            return fault_responses.from_exception(exc)(environ, start_response)
        return self._render(response)(environ, start_response)

    def _render(self, response):
        if response.status_code < 400:
            return response
        if not fault_responses.is_fault(response):
            fault = fault_responses.fault_response(
                response.status_code, _foreign_message(response))
            for name in ('WWW-Authenticate', 'Retry-After'):
                if name in response.headers:
                    fault.headers[name] = response.headers[name]
            response = fault
        return response
