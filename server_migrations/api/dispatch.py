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

"""How a routed request reaches its handler's code.

A route's handler is declared with ``handler(min_ver, max_ver)``: the
request is first admitted (its context, and the project in its URL), then
served by the definition whose version window holds its version. An
action handler reads its body before that (``actions.action``), as the
reference does.
"""

import functools

from server_migrations.api import auth
from server_migrations.api import microversion
from server_migrations.api import request_environ
from server_migrations import exception


def admit(req):
    """The request's context, checked against the project in its URL.

    In a host stack the context is ours, built from the headers of a token
    authtoken confirmed (never from headers alone).

    :raises NotAuthenticated: in a host stack, no confirmed token (401).
    :raises ProjectIdMismatch: the URL names another project (400).
    """
    context = req.environ.get(request_environ.CONTEXT_KEY)
    if context is None:
        context = auth.confirmed_context(req.environ)
        req.environ[request_environ.CONTEXT_KEY] = context
    url_project = req.urlvars.get('project_id')
    if url_project is not None and url_project != context.project_id:
        raise exception.ProjectIdMismatch(
            url_project=url_project, context_project=context.project_id)
    return context


def handler(min_ver, max_ver=None):
    """Declare a route's handler, served in [min_ver, max_ver].

    The request is admitted (``admit``) before its version picks the
    definition (``microversion.version_handler``: none is a 404).
    """
    def decorator(func):
        windowed = microversion.version_handler(min_ver, max_ver)(func)

        @functools.wraps(windowed)
        def admitted(req):
            admit(req)
            return windowed(req)
        return admitted
    return decorator
