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

"""Sphinx check that every route of the API's route table is documented."""

import collections.abc
import importlib
import re

from sphinx.util import logging

LOG = logging.getLogger(__name__)

ROUTER_MODULE = 'server_migrations.api.router'
# Names the route table may have in the router module.
TABLE_NAMES = ('ROUTE_DECLARATIONS', 'ROUTES')
METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE')
# Methods a router answers for free; nobody documents them.
IMPLICIT_METHODS = ('HEAD', 'OPTIONS')

_PARAM = re.compile(r'{[^}]*}')
# Prefixes the router may add in front of the documented paths: the
# major version, then the optional project segment.
_VERSION_PREFIX = re.compile(r'^/v2(\.1)?(?=/|$)')
_PROJECT_PREFIX = re.compile(r'^/{project_id[^}]*}(?=/|$)')


def normalize(path):
    """Reduce a path to a shape both the table and the docs agree on.

    Parameter names and their requirements differ between the router and
    the reference (``{id:\\d+}`` against ``{migration_id}``); only their
    position matters. A trailing slash is not significant either.
    """
    path = _PARAM.sub('{}', path.strip())
    if len(path) > 1:
        path = path.rstrip('/')
    return path or '/'


def candidates(path):
    """The documented forms a routed path may take."""
    forms = {path}
    unversioned = _VERSION_PREFIX.sub('', path)
    forms.add(unversioned)
    forms.add(_PROJECT_PREFIX.sub('', unversioned))
    return {normalize(form) for form in forms}


def _methods(value):
    if isinstance(value, str):
        return [value]
    # A mapping of method to handler, or a list of methods.
    return [m for m in value if isinstance(m, str) and m.upper() in METHODS]


def routes_of(table):
    """Yield (method, path) pairs of a route table.

    Accepts a mapping of path to a mapping (or list) of methods, as
    Placement's ``ROUTE_DECLARATIONS`` is, or a sequence of tuples that hold
    a method and a path in either order.
    """
    if isinstance(table, collections.abc.Mapping):
        for path, methods in table.items():
            for method in _methods(methods):
                yield method.upper(), path
        return
    for entry in table:
        strings = [item for item in entry if isinstance(item, str)]
        method = next((s for s in strings if s.upper() in METHODS), None)
        path = next((s for s in strings if s.startswith('/')), None)
        if method and path:
            yield method.upper(), path


def load_route_table():
    """Return the router's route table, or None when there is no router."""
    try:
        module = importlib.import_module(ROUTER_MODULE)
    except ModuleNotFoundError as exc:
        # No router yet (or no API package): nothing to check. A missing
        # module inside the router itself is a real error, and is raised.
        if exc.name and (ROUTER_MODULE == exc.name or
                         ROUTER_MODULE.startswith(exc.name + '.')):
            return None
        raise
    for name in TABLE_NAMES:
        table = getattr(module, name, None)
        if table is not None:
            return table
    LOG.warning('%s has none of %s; cannot check the documented routes',
                ROUTER_MODULE, ', '.join(TABLE_NAMES))
    return ()


def _documented(env):
    if not hasattr(env, 'rest_methods'):
        env.rest_methods = {}
    return env.rest_methods


def collect(app, doctree):
    """Remember the ``.. rest_method::`` lines of one document."""
    from os_api_ref import rest_method
    found = {(node['method'].upper(), normalize(node['url']))
             for node in doctree.findall(rest_method)}
    _documented(app.env)[app.env.docname] = found


def purge(app, env, docname):
    _documented(env).pop(docname, None)


def merge(app, env, docnames, other):
    _documented(env).update(_documented(other))


def check(app, env):
    """Warn (an error under -W) for each route the reference omits."""
    table = load_route_table()
    if table is None:
        LOG.info('api-ref validator: no %s, nothing to check', ROUTER_MODULE)
        return
    documented = set()
    for found in _documented(env).values():
        documented |= found
    ignored = {(m.upper(), normalize(p))
               for m, p in app.config.api_ref_undocumented_routes}
    for method, path in sorted(set(routes_of(table))):
        if method in IMPLICIT_METHODS:
            continue
        forms = {(method, form) for form in candidates(path)}
        if forms & (documented | ignored):
            continue
        LOG.warning('route %s %s of %s has no ".. rest_method::" line in '
                    'the API reference', method, path, ROUTER_MODULE)


def setup(app):
    # (method, path) pairs that are served but deliberately documented
    # elsewhere, e.g. the read-only server routes of the standalone app.
    app.add_config_value('api_ref_undocumented_routes', [], 'env')
    app.connect('doctree-read', collect)
    app.connect('env-purge-doc', purge)
    app.connect('env-merge-info', merge)
    # env-updated runs on every build, also when no document changed (the
    # route table may have); env-check-consistency would be skipped then.
    app.connect('env-updated', check)
    return {'parallel_read_safe': True, 'parallel_write_safe': True,
            'env_version': 1}
