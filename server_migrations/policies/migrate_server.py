
from server_migrations.policies import base

POLICY_ROOT = 'os_compute_api:os-migrate-server:%s'
MIGRATE_LIVE = POLICY_ROOT % 'migrate_live'

rules = [
    base.admin_only(
        MIGRATE_LIVE,
        'Live migrate a server to a new host without a reboot. To let '
        'managers of the server\'s project do this too, override it with '
        '"%s".' % base.PROJECT_MANAGER_OR_ADMIN,
        [('POST', '/servers/{server_id}/action (os-migrateLive)')]),
]


def list_rules():
    return rules
