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

"""JSON schemas of request bodies and query strings, and their validator."""

import copy

import jsonschema
from oslo_utils import timeutils

from server_migrations.api import microversion
from server_migrations import exception

FORCE_COMPLETE = {
    'type': 'object',
    'properties': {'force_complete': {'type': 'null'}},
    'required': ['force_complete'],
    'additionalProperties': False,
}

# Up to 2.101 any query parameter is accepted and ignored.
QUERY_LENIENT = {'type': 'object', 'properties': {},
                 'additionalProperties': True}
QUERY_STRICT = {'type': 'object', 'properties': {},
                'additionalProperties': False}

# Query values arrive as lists (a parameter may be repeated).


def _multi(schema):
    return {'type': 'array', 'items': schema}


def _single(schema):
    return dict(_multi(schema), maxItems=1)


_ANY = _multi({'type': 'string'})
_NON_NEGATIVE = _single({'type': ['integer', 'string'],
                         'pattern': '^[0-9]*$', 'minimum': 0,
                         'minLength': 1})
_STRING = _single({'type': 'string'})
_DATE_TIME = _single({'type': 'string', 'format': 'date-time'})


def _query(properties, strict):
    return {'type': 'object', 'properties': properties,
            'additionalProperties': not strict}


# GET /os-migrations: filters any version may use; unknown parameters are
# ignored until 2.59, which added paging and changes-since.
MIGRATIONS_QUERY = _query(
    {name: _ANY for name in ('hidden', 'host', 'instance_uuid',
                             'source_compute', 'status', 'migration_type')},
    strict=False)
MIGRATIONS_QUERY_V259 = _query(dict(
    MIGRATIONS_QUERY['properties'], limit=_NON_NEGATIVE, marker=_STRING,
    **{'changes-since': _DATE_TIME}), strict=True)
MIGRATIONS_QUERY_V266 = copy.deepcopy(MIGRATIONS_QUERY_V259)
MIGRATIONS_QUERY_V266['properties']['changes-before'] = _DATE_TIME
MIGRATIONS_QUERY_V280 = copy.deepcopy(MIGRATIONS_QUERY_V266)
MIGRATIONS_QUERY_V280['properties'].update(user_id=_STRING,
                                           project_id=_STRING)

# GET /servers/{id}/os-instance-actions: strict from 2.58 (paging).
ACTIONS_QUERY_V258 = _query({'limit': _NON_NEGATIVE, 'marker': _STRING,
                             'changes-since': _DATE_TIME}, strict=True)
ACTIONS_QUERY_V266 = copy.deepcopy(ACTIONS_QUERY_V258)
ACTIONS_QUERY_V266['properties']['changes-before'] = _DATE_TIME

# The boolean spellings the compute API accepts in request bodies.
_BOOLEAN = {'type': ['boolean', 'string'],
            'enum': [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on',
                     'YES', 'Yes', 'yes', 'y', 't',
                     False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off',
                     'off', 'NO', 'No', 'no', 'n', 'f']}
_HOST = {'type': ['string', 'null'], 'minLength': 1, 'maxLength': 255,
         # \Z, not $: Python's $ also matches before a trailing newline.
         'pattern': r'^[a-zA-Z0-9_.:-]*\Z'}


def _migrate_live(properties, required):
    return {
        'type': 'object',
        'properties': {'os-migrateLive': {
            'type': 'object', 'properties': properties,
            'required': required, 'additionalProperties': False}},
        'required': ['os-migrateLive'],
        'additionalProperties': False,
    }


MIGRATE_LIVE_V21 = _migrate_live(
    {'block_migration': _BOOLEAN, 'disk_over_commit': _BOOLEAN,
     'host': _HOST},
    ['block_migration', 'disk_over_commit', 'host'])
_BLOCK_OR_AUTO = {'oneOf': [_BOOLEAN, {'type': 'string', 'enum': ['auto']}]}
MIGRATE_LIVE_V225 = _migrate_live(
    {'block_migration': _BLOCK_OR_AUTO, 'host': _HOST},
    ['block_migration', 'host'])
MIGRATE_LIVE_V230 = _migrate_live(
    {'block_migration': _BLOCK_OR_AUTO, 'host': _HOST, 'force': _BOOLEAN},
    ['block_migration', 'host'])

_TRUE = {True, 'true', '1', 'on', 'yes', 'y', 't'}


def to_bool(value):
    """A validated boolean spelling as a bool ("auto" stays "auto")."""
    if value == 'auto' or isinstance(value, bool):
        return value
    return str(value).lower() in _TRUE


def migrate_live_schema(version):
    if not microversion.block_migration_auto(version):
        return MIGRATE_LIVE_V21
    if microversion.migrate_live_force(version):
        return MIGRATE_LIVE_V230
    # 2.25-2.29, and again from 2.68 where "force" was removed.
    return MIGRATE_LIVE_V225


def query_schema(version):
    if microversion.strict_query(version):
        return QUERY_STRICT
    return QUERY_LENIENT


def migrations_query_schema(version):
    if microversion.include_user_and_project(version):
        return MIGRATIONS_QUERY_V280
    if microversion.changes_before(version):
        return MIGRATIONS_QUERY_V266
    if microversion.migrations_paging(version):
        return MIGRATIONS_QUERY_V259
    return MIGRATIONS_QUERY


def actions_query_schema(version):
    if microversion.changes_before(version):
        return ACTIONS_QUERY_V266
    if microversion.actions_paging(version):
        return ACTIONS_QUERY_V258
    return QUERY_LENIENT


def _is_date_time(value):
    """The reference accepts what its ISO 8601 parser accepts."""
    if not isinstance(value, str):
        return True
    try:
        timeutils.parse_isotime(value)
    except ValueError:
        return False
    return True


_FORMATS = jsonschema.FormatChecker(formats=())
_FORMATS.checks('date-time')(_is_date_time)


# Validators by schema identity: the schemas are module constants, and
# building a validator costs more than a validation.
_VALIDATORS = {}


def _validator(schema):
    validator = _VALIDATORS.get(id(schema))
    if validator is None or validator.schema is not schema:
        validator = jsonschema.Draft4Validator(schema,
                                               format_checker=_FORMATS)
        _VALIDATORS[id(schema)] = validator
    return validator


def _first_error(schema, instance):
    return jsonschema.exceptions.best_match(
        _validator(schema).iter_errors(instance))


def validate_body(schema, body):
    """Raise ValidationError (400) with the compute API's message form."""
    error = _first_error(schema, body)
    if error is None:
        return
    if error.path:
        detail = ('Invalid input for field/attribute %(field)s. Value: '
                  '%(value)s. %(msg)s' % {'field': error.path[-1],
                                          'value': error.instance,
                                          'msg': error.message})
    else:
        detail = error.message
    raise exception.ValidationError(detail=detail)


def validate_query(schema, params):
    """As validate_body; the message names the parameter, not its index."""
    error = _first_error(schema, params)
    if error is None:
        return
    if error.path:
        detail = ('Invalid input for query parameters %(param)s. Value: '
                  '%(value)s. %(msg)s' % {'param': error.path[0],
                                          'value': error.instance,
                                          'msg': error.message})
    else:
        detail = error.message
    raise exception.ValidationError(detail=detail)
