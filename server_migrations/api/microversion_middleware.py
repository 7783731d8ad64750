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

"""The microversion middleware: a request's version read once, and echoed.

In the shipped pipeline it is the ``microversion`` filter, outside the
fault wrapper; the fault wrapper and the router wrap themselves in one too,
for pipelines without that filter (an older api-paste.ini, a host stack).
The first instance a request meets parses the version headers and leaves
the outcome in the WSGI environ (``request_environ``): the version for the
handlers, or the error that refuses it, raised by
``request_environ.requested`` where the contract checks the version. It
stamps the version headers on the answers; instances further in find the
request parsed and pass it on.
"""

import webob.headers

from server_migrations.api import microversion
from server_migrations.api import request_environ
from server_migrations import exception

# The root document lists the versions: it is answered at none.
_UNVERSIONED_PATHS = ('', '/')
_STANDARD = microversion.STANDARD_HEADER.lower()


def _parse(environ, conf):
    """Store the request's version or its error; the version to echo.

    A malformed version is echoed on no answer; one out of range only on
    the 406 that refuses it (answers before the version is checked, such
    as a 401, carry none).
    """
    headers = webob.headers.EnvironHeaders(environ)
    try:
        version = microversion.requested_version(headers, conf)
        microversion.check_range(version)
    except exception.InvalidAPIVersionString as exc:
        environ[request_environ.ERROR_KEY] = exc
        return None, ()
    except exception.VersionNotAcceptable as exc:
        environ[request_environ.ERROR_KEY] = exc
        return version, (exc.code,)
    environ[microversion.ENVIRON_KEY] = version
    return version, None


class MicroversionMiddleware:
    """Parses the version of each request once and stamps its answers.

    :param application: the WSGI application it wraps.
    :param conf: the configuration (``[api] max_microversion``).
    """

    def __init__(self, application, conf):
        self.application = application
        self.conf = conf

    def __call__(self, environ, start_response):
        if request_environ.parsed(environ):
            # An instance further out parsed it and stamps the answer.
            return self.application(environ, start_response)
        version, only = _parse(environ, self.conf)
        if version is None:
            return self.application(environ, start_response)
        root = environ.get('PATH_INFO', '') in _UNVERSIONED_PATHS

        def start(status, headers, exc_info=None):
            code = int(status[:3])
            if (_stamps(code, only, root) and
                    not any(n.lower() == _STANDARD for n, _v in headers)):
                headers = list(headers) + microversion.response_headers(
                    version)
            return start_response(status, headers, exc_info)
        return self.application(environ, start)


def _stamps(code, only, root):
    """Whether an answer of status ``code`` carries the version headers.

    :param only: the statuses that carry them, or None for every one.
    :param root: whether the request is for the root document.
    """
    if only is not None:
        return code in only
    return code >= 400 or not root
