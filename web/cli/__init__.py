"""The `gongzhi` command line: a Flask CLI group on web.create_app."""

from flask.cli import FlaskGroup

from web.app import create_app
from web.cli.background import channel, outbox_group, scheduler, sla, worker
from web.cli.calendar import calendar
from web.cli.cases import case
from web.cli.demo import demo
from web.cli.extensions import extend_command, extension
from web.cli.incidents import import_group
from web.cli.processes import deploy_command, process
from web.cli.reports import report
from web.cli.serve import serve
from web.cli.tasks import task
from web.cli.tokens import token

main = FlaskGroup(create_app=create_app, help="共治 Gongzhi: interagency referral platform.")
for command in (deploy_command, process, demo, case, task, token, calendar, serve, worker, scheduler, sla,
                outbox_group, channel):
    main.add_command(command)
main.add_command(extension)
main.add_command(import_group)
main.add_command(report)
task.add_command(extend_command)  # `task extend` lives beside the other extension commands
