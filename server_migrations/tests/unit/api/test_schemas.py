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

"""Request schemas and the wording of validation errors."""

from server_migrations.api import microversion
from server_migrations.api import schemas
from server_migrations import exception
from server_migrations.tests import base

V = microversion.parse_version_string


class SchemaTestCase(base.TestCase):

    def _error(self, schema, body, query=False):
        validate = schemas.validate_query if query else schemas.validate_body
        return self.assertRaises(exception.ValidationError, validate,
                                 schema, body).format_message()

    def test_force_complete(self):
        schemas.validate_body(schemas.FORCE_COMPLETE,
                              {'force_complete': None})
        self.assertEqual(
            "Invalid input for field/attribute force_complete. Value: {}. "
            "{} is not of type 'null'",
            self._error(schemas.FORCE_COMPLETE, {'force_complete': {}}))
        self.assertEqual(
            "Invalid input for field/attribute force_complete. Value: null."
            " 'null' is not of type 'null'",
            self._error(schemas.FORCE_COMPLETE, {'force_complete': 'null'}))

    def test_query_by_version(self):
        params = {'foo': ['bar']}
        schemas.validate_query(schemas.query_schema(V('2.101')), params)
        self.assertEqual(
            "Additional properties are not allowed ('foo' was unexpected)",
            self._error(schemas.query_schema(V('2.102')), params,
                        query=True))
        schemas.validate_query(schemas.query_schema(V('2.102')), {})

    def test_migrate_live_by_version(self):
        old = {'os-migrateLive': {'host': None, 'block_migration': False,
                                  'disk_over_commit': 'false'}}
        auto = {'os-migrateLive': {'host': 'h', 'block_migration': 'auto'}}
        forced = {'os-migrateLive': {'host': 'h', 'block_migration': True,
                                     'force': True}}
        for text, good, bad in (('2.1', [old], [auto, forced]),
                                ('2.24', [old], [auto, forced]),
                                ('2.25', [auto], [old, forced]),
                                ('2.29', [auto], [old, forced]),
                                ('2.30', [auto, forced], [old]),
                                ('2.67', [auto, forced], [old]),
                                ('2.68', [auto], [old, forced])):
            schema = schemas.migrate_live_schema(V(text))
            for body in good:
                schemas.validate_body(schema, body)
            for body in bad:
                self._error(schema, body)

    def test_host_pattern_is_anchored_at_the_very_end(self):
        schema = schemas.migrate_live_schema(V('2.68'))
        schemas.validate_body(schema, {'os-migrateLive': {
            'host': 'compute-1.example:x_y', 'block_migration': 'auto'}})
        for host in ('compute-1\n', 'compute 1', 'compute-1\nextra', ''):
            self._error(schema, {'os-migrateLive': {
                'host': host, 'block_migration': 'auto'}})

    def test_version_header_with_a_trailing_newline_is_malformed(self):
        self.assertRaises(exception.InvalidAPIVersionString,
                          microversion.parse_version_string, '2.1\n')

    def test_to_bool(self):
        self.assertEqual('auto', schemas.to_bool('auto'))
        for value in (True, 'True', 'yes', '1', 'on', 't'):
            self.assertIs(True, schemas.to_bool(value))
        for value in (False, 'False', 'no', '0', 'off', 'f'):
            self.assertIs(False, schemas.to_bool(value))
