
from server_migrations.policies import base

POLICY_ROOT = 'os_compute_api:os-migrations:%s'
INDEX = POLICY_ROOT % 'index'
INDEX_ALL_PROJECTS = POLICY_ROOT % 'index:all_projects'
INDEX_HOST = POLICY_ROOT % 'index:host'

_OPERATIONS = [('GET', '/os-migrations')]
# An operator who overrode "index" before the two finer rules existed keeps
# the same audience for them.
_INDEX_AS_BEFORE = base.as_before(
    INDEX, 'Listing other projects\' migrations and seeing their hosts have '
           'their own rules, so that the list of a project\'s own migrations '
           'can be opened to its managers alone.')

rules = [
    base.admin_only(
        INDEX,
        'List migrations (any type and status), without their hosts unless '
        '"%s" allows them. To let managers list their own project\'s '
        'migrations (?project_id=<theirs>), override it with "%s", and set '
        '"%s" and "%s" explicitly: until then they follow this rule.' % (
            INDEX_HOST, base.PROJECT_MANAGER_OR_ADMIN, INDEX_ALL_PROJECTS,
            INDEX_HOST),
        _OPERATIONS),
    base.admin_only(
        INDEX_ALL_PROJECTS,
        'List the migrations of every project, or of a project other than '
        'the caller\'s (any request without ?project_id=<own project>).',
        _OPERATIONS, deprecated_rule=_INDEX_AS_BEFORE),
    base.admin_only(
        INDEX_HOST,
        'See the host fields (source_compute, source_node, dest_compute, '
        'dest_node, dest_host) of listed migrations; without it they are '
        'null.',
        _OPERATIONS, deprecated_rule=_INDEX_AS_BEFORE),
]


def list_rules():
    return rules
