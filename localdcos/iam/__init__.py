"""DC/OS IAM (`/acs/api/v1`: identities, login, tokens) and Admin Router's authentication in front of
every service."""

from localdcos.iam.admin_router import authorize, nginx_page, presented_token
from localdcos.iam.service import COOKIE_NAME, IAM, Identity, InvalidToken

__all__ = ["COOKIE_NAME", "IAM", "Identity", "InvalidToken", "authorize", "nginx_page", "presented_token"]
