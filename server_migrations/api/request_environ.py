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

"""What the pipeline leaves in a request's WSGI environ for the handlers.

The auth middleware stores the request context, the router the compute
API and the configuration, the microversion middleware the version; the
handlers read them here.
"""

from server_migrations.api import microversion

CONTEXT_KEY = 'server_migrations.context'
COMPUTE_API_KEY = 'server_migrations.compute_api'
CONF_KEY = 'server_migrations.conf'
# Where a request's version error waits for its place in the checks.
ERROR_KEY = 'server_migrations.microversion_error'


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


def parsed(environ):
    """Whether a middleware further out has parsed this request's version.

    Our wrappers that parse it themselves (for a pipeline without the
    ``microversion`` filter, such as an older copy of api-paste.ini or a
    host stack) then go straight to their own work.
    """
    return microversion.ENVIRON_KEY in environ or ERROR_KEY in environ


def requested(environ):
    """The version of the request, as the middleware parsed it.

    :raises InvalidAPIVersionString: malformed (400).
    :raises VersionNotAcceptable: out of the accepted range (406).
    """
    error = environ.get(ERROR_KEY)
    if error is not None:
        raise error
    return environ[microversion.ENVIRON_KEY]
