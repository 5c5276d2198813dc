"""Agencies: the tree every case's routing resolves against."""

from flask_smorest import Blueprint

from engine.queries import agency_tree
from web.api.actor import current_actor
from web.api.schemas import AgencySchema

blp = Blueprint("agencies", __name__, url_prefix="/api/v1/agencies", description="机构 Agencies")


@blp.route("")
@blp.response(200, AgencySchema(many=True))
def tree():
    """Every agency, parents before children: city → district → street → community → grid."""
    current_actor()
    return agency_tree()
