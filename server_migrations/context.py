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

"""RequestContext: who is asking, and the database session they use."""

from oslo_context import context
from oslo_db.sqlalchemy import enginefacade


@enginefacade.transaction_context_provider
class RequestContext(context.RequestContext):
    """An oslo.context RequestContext that can check policy.

    ``is_admin`` is computed from the ``context_is_admin`` policy rule when
    the API builds the context (see ``server_migrations.api.auth``); it is
    what lets an admin see every project's servers and act on locked ones.
    """

    def can(self, rule, target=None, fatal=True):
        """Check ``rule`` for this context against ``target``.

        :param rule: a policy rule name registered in
            ``server_migrations.policies``.
        :param target: the policy target; defaults to the caller's own
            project and user.
        :param fatal: raise ``exception.Forbidden`` when denied (True) or
            return False (False).
        :returns: True when allowed.
        """
        # Imported here: policy imports this module for get_enforcer's CLI.
        from server_migrations import policy
        if target is None:
            target = {'project_id': self.project_id,
                      'user_id': self.user_id}
        return policy.authorize(self, rule, target, fatal=fatal)


def get_admin_context(request_id=None):
    """A context for agents and operator commands: sees every project."""
    kwargs = {'is_admin': True, 'overwrite': False, 'roles': ['admin']}
    if request_id:
        kwargs['request_id'] = request_id
    return RequestContext(**kwargs)
