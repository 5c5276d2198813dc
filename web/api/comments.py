"""Comments on tasks (任务留言): read and add the notes on a task whose case you may see."""

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.comments import MAX_BODY, add_comment, list_comments
from web.api.actor import acting_username, current_actor

blp = Blueprint("comments", __name__, url_prefix="/api/v1/tasks", description="任务留言 Task comments")


class CommentSchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer()
    case_id = fields.Integer()
    author = fields.String(metadata={"description": "username of who wrote it"})
    body = fields.String()
    created_at = fields.DateTime()


class NewCommentSchema(Schema):
    body = fields.String(required=True, metadata={
        "description": f"the comment; trimmed, then 1 to {MAX_BODY} characters, no control characters "
                       "except line breaks and tabs"})


@blp.route("/<int(max=2147483647):task_id>/comments")
class Comments(MethodView):
    @blp.response(200, CommentSchema(many=True))
    def get(self, task_id):
        """The comments on a task you may see, oldest first."""
        return list_comments(task_id=task_id, actor=current_actor())

    @blp.arguments(NewCommentSchema)
    @blp.response(201, CommentSchema)
    def post(self, body, task_id):
        """Comment on a task whose case you may see (its status does not matter)."""
        return add_comment(task_id=task_id, username=acting_username(), body=body["body"])
