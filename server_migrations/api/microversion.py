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

"""Compute API microversions: parsing, the version list, handler windows."""

import collections
import functools
import re

import microversion_parse

from server_migrations import exception

SERVICE_TYPE = 'compute'
STANDARD_HEADER = 'OpenStack-API-Version'
LEGACY_HEADER = 'X-OpenStack-Nova-API-Version'
# Where the parsed version is kept in the WSGI environ.
ENVIRON_KEY = 'server_migrations.microversion'

# The versions at which this API changes, oldest first. Every version from
# the first to [api] max_microversion is accepted (the host compute API's
# other microversions change nothing here); a request is served with the
# behaviour of the newest change at or below its version.
VERSIONS = [
    '2.1',    # Base: /servers (read-only) and os-migrateLive with host,
              # block_migration and disk_over_commit; GET /os-migrations;
              # GET /servers/{id}/os-instance-actions[/{request_id}].
    '2.21',   # os-instance-actions: actions of deleted servers too.
    '2.22',   # POST .../migrations/{id}/action {"force_complete": null}.
    '2.23',   # GET .../migrations and .../migrations/{id} (16 fields);
              # os-migrations: "migration_type", and "links" on in-progress
              # live migrations.
    '2.24',   # DELETE .../migrations/{id} aborts a running live migration.
    '2.25',   # os-migrateLive: block_migration may be "auto";
              # disk_over_commit removed.
    '2.30',   # os-migrateLive: optional "force".
    '2.51',   # os-instance-actions show: events (without traceback) for
              # those the events rule denies.
    '2.58',   # os-instance-actions index: paging (limit, marker),
              # changes-since, "updated_at", "links"; strict query.
    '2.59',   # Migration "uuid" in index and show; os-migrations: paging,
              # changes-since, "migrations_links", strict query.
    '2.62',   # os-instance-actions show: "host" (events rule) and
              # "hostId" on events.
    '2.65',   # Abort also allowed in "queued" and "preparing".
    '2.66',   # os-migrations and os-instance-actions: changes-before.
    '2.68',   # os-migrateLive: "force" removed.
    '2.80',   # "user_id" and "project_id" in index and show;
              # os-migrations: user_id and project_id filters.
    '2.84',   # os-instance-actions show: event "details" (why it ended).
    '2.102',  # Unknown query parameters on index and show are a 400.
]
MIN_VERSION = VERSIONS[0]

# No leading zeros, exactly two parts (microversion-parse alone would take
# "2.01" or " 2.1").
_FORMAT = re.compile(r'^([1-9]\d*)\.([1-9]\d*|0)\Z')


def parse_version_string(text):
    """A ``(major, minor)`` Version, or raise InvalidAPIVersionString."""
    if not isinstance(text, str) or not _FORMAT.match(text):
        raise exception.InvalidAPIVersionString(version=text)
    try:
        return microversion_parse.parse_version_string(text)
    except (TypeError, ValueError):
        # A part with more digits than int() converts (4,300).
        raise exception.InvalidAPIVersionString(version=text)


def max_version(conf):
    return parse_version_string(conf.api.max_microversion)


@functools.lru_cache(maxsize=64)
def _parse_cached(text):
    return tuple(parse_version_string(text))


def _version(text):
    """A fresh Version of a well-formed ``text`` (parsed once per string).

    Fresh, because callers set its min/max bounds.
    """
    return microversion_parse.Version(*_parse_cached(text))


# Versions of the request headers seen, by their raw values: clients send
# a handful of distinct headers, so each is parsed once per process.
_SEEN = {}
_SEEN_MAX = 256
_ENVIRON_NAMES = tuple('HTTP_' + name.upper().replace('-', '_')
                       for name in (STANDARD_HEADER, LEGACY_HEADER))


def requested_version(headers, conf):
    """The version ``headers`` (a dict-like of request headers) ask for.

    The standard header's last ``compute`` entry wins; the legacy header is
    read only when the standard one has none; no header means the minimum.
    The Version carries the accepted range as its bounds, and may be out of
    it (``check_range``). A request's headers (webob's, read from its WSGI
    environ) are parsed once per distinct value: the Version is then
    shared, read-only.

    :raises InvalidAPIVersionString: malformed (400).
    """
    environ = getattr(headers, 'environ', None)
    if environ is None:
        return _requested_version(headers, conf)
    key = (conf.api.max_microversion,) + tuple(
        environ.get(name) for name in _ENVIRON_NAMES)
    version = _SEEN.get(key)
    if version is None:
        version = _requested_version(headers, conf)
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        _SEEN[key] = version
    return version


def _requested_version(headers, conf):
    text = microversion_parse.get_version(
        headers, SERVICE_TYPE, legacy_headers=[LEGACY_HEADER])
    minimum = _version(MIN_VERSION)
    maximum = _version(conf.api.max_microversion)
    if text is None:
        version = minimum
    elif text == 'latest':
        version = maximum
    else:
        version = _version(text.strip())
    version.min_version = minimum
    version.max_version = maximum
    return version


def check_range(version):
    """Raise VersionNotAcceptable (406) unless ``version`` is in its range.

    :param version: as ``requested_version`` returns it.
    """
    if not version.matches():
        raise exception.VersionNotAcceptable(
            version=version, min_version=version.min_version,
            max_version=version.max_version)


def response_headers(version):
    """The headers every response to a versioned request carries."""
    return [(STANDARD_HEADER, '%s %s' % (SERVICE_TYPE, version)),
            (LEGACY_HEADER, str(version)),
            ('Vary', STANDARD_HEADER),
            ('Vary', LEGACY_HEADER)]


def _as_tuple(text):
    return tuple(parse_version_string(text)) if text else None


# Handler windows: qualified name -> [(min, max, function)].
VERSIONED_METHODS = collections.defaultdict(list)


def version_handler(min_ver, max_ver=None):
    """Serve the decorated handler only for versions in [min_ver, max_ver].

    Several functions of one name may each cover a window; a request whose
    version is in none of them gets the generic 404 ``itemNotFound`` (the
    operation does not exist at that version).
    """
    low = _as_tuple(min_ver)
    high = _as_tuple(max_ver) if max_ver else (999, 999)

    def decorator(func):
        name = '%s.%s' % (func.__module__, func.__name__)
        VERSIONED_METHODS[name].append((low, high, func))

        @functools.wraps(func)
        def wrapper(req, *args, **kwargs):
            want = tuple(req.environ[ENVIRON_KEY])
            for start, end, candidate in VERSIONED_METHODS[name]:
                if start <= want <= end:
                    return candidate(req, *args, **kwargs)
            raise exception.NotFound()

        wrapper.versioned_name = name
        return wrapper
    return decorator


# Named predicates: what changes with the version, readable in the views.

def _at_least(version, text):
    return tuple(version) >= _parse_cached(text)


def include_uuid(version):
    return _at_least(version, '2.59')


def include_user_and_project(version):
    return _at_least(version, '2.80')


def abort_in_queue(version):
    return _at_least(version, '2.65')


def include_deleted_servers(version):
    return _at_least(version, '2.21')


def migration_type_and_links(version):
    return _at_least(version, '2.23')


def events_for_everyone(version):
    """Events are shown without traceback to those the events rule denies."""
    return _at_least(version, '2.51')


def actions_paging(version):
    return _at_least(version, '2.58')


def migrations_paging(version):
    return _at_least(version, '2.59')


def event_host(version):
    return _at_least(version, '2.62')


def changes_before(version):
    return _at_least(version, '2.66')


def event_details(version):
    return _at_least(version, '2.84')


def strict_query(version):
    return _at_least(version, '2.102')


def block_migration_auto(version):
    return _at_least(version, '2.25')


def migrate_live_force(version):
    """os-migrateLive takes "force" from 2.30 until 2.67."""
    return _at_least(version, '2.30') and not _at_least(version, '2.68')
