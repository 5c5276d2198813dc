"""Users and API tokens: administrators create and change users and roles, and hand out tokens.

Every route here is for administrators. The engine checks that on each command; the blueprints also
check it before reading the request, so others get 401 or 403 and never a word about their input.
Passwords are write-only: no schema here dumps one, and no error message repeats one.
"""

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.models import ROLES
from engine.tokens import create_token, list_tokens, revoke_token
from engine.users import (
    PASSWORD_MIN_LENGTH,
    USERNAME_RULE,
    create_user,
    get_user_record,
    list_users,
    require_admin,
    update_user,
)
from web.api.actor import acting_username
from web.api.schemas import PageQuerySchema, PageSchema

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="用户 Users (administrators)")
tokens_blp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens",
                       description="API 令牌 API tokens (administrators)")

ROLES_DESCRIPTION = f"one or more of {', '.join(ROLES)}"
PASSWORD_DESCRIPTION = f"at least {PASSWORD_MIN_LENGTH} characters; write-only, never returned"


@blp.before_request
@tokens_blp.before_request
def _administrators_only() -> None:
    require_admin(acting_username())


class UserSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    agency_code = fields.String()
    agency_name = fields.String()
    roles = fields.List(fields.String())
    active = fields.Boolean()
    has_password = fields.Boolean(metadata={"description": "false for integration users that only use tokens"})
    created_at = fields.DateTime()


class UserPageSchema(PageSchema):
    items = fields.List(fields.Nested(UserSchema))


class UserListQuerySchema(PageQuerySchema):
    agency = fields.String(metadata={"description": "only the users of this agency (code)"})


class CreateUserSchema(Schema):
    username = fields.String(required=True, metadata={"description": USERNAME_RULE})
    display_name = fields.String(required=True)
    agency_code = fields.String(required=True)
    roles = fields.List(fields.String(), required=True, metadata={"description": ROLES_DESCRIPTION})
    password = fields.String(required=True, load_only=True, metadata={"description": PASSWORD_DESCRIPTION})


class UpdateUserSchema(Schema):
    display_name = fields.String()
    agency_code = fields.String()
    roles = fields.List(fields.String(), metadata={"description": ROLES_DESCRIPTION})
    active = fields.Boolean(metadata={"description": "false disables the user: sessions and tokens stop at once"})
    password = fields.String(load_only=True, metadata={"description": PASSWORD_DESCRIPTION})


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    username = fields.String()
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    active = fields.Boolean()


class CreateTokenSchema(Schema):
    username = fields.String(required=True, metadata={"description": "the user the token acts as"})
    name = fields.String(required=True, metadata={"description": "which system uses it, such as 110 接警推送"})


class CreatedTokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    username = fields.String()
    token = fields.String(metadata={"description": "the token itself: shown only in this response"})


@blp.route("")
class Users(MethodView):
    @blp.arguments(UserListQuerySchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, query):
        """List users by username, optionally those of one agency."""
        return list_users(actor_username=acting_username(), agency_code=query.pop("agency", None), **query)

    @blp.arguments(CreateUserSchema)
    @blp.response(201, UserSchema)
    def post(self, body):
        """Create a user with an agency, roles and a password."""
        return create_user(actor_username=acting_username(), **body)


@blp.route("/<username>")
class OneUser(MethodView):
    @blp.response(200, UserSchema)
    def get(self, username):
        """A user, disabled or not."""
        return get_user_record(actor_username=acting_username(), username=username)

    @blp.arguments(UpdateUserSchema)
    @blp.response(200, UserSchema)
    def patch(self, body, username):
        """Change a user's name, agency, roles, password, or disable (`active: false`) or enable them."""
        return update_user(actor_username=acting_username(), username=username, **body)


@tokens_blp.route("")
class Tokens(MethodView):
    @tokens_blp.response(200, TokenSchema(many=True))
    def get(self):
        """Every token, revoked ones included, oldest first; never the token itself."""
        return list_tokens(actor_username=acting_username())

    @tokens_blp.arguments(CreateTokenSchema)
    @tokens_blp.response(201, CreatedTokenSchema)
    def post(self, body):
        """Create a token acting as a user. The response shows it once; store it, it cannot be shown again."""
        return create_token(username=body["username"], name=body["name"], created_by=acting_username())


@tokens_blp.route("/<int(max=2147483647):token_id>/revoke", methods=["POST"])
@tokens_blp.response(204)
def revoke(token_id):
    """Revoke a token: it stops working at once."""
    revoke_token(token_id=token_id, actor_username=acting_username())
