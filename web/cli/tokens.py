"""gongzhi token create / list / revoke: API tokens for machine clients."""

from dataclasses import asdict

import click
from flask.cli import AppGroup

from engine.tokens import create_token, list_tokens, revoke_token
from web.cli.output import engine_errors, local_time, print_json


@click.group(cls=AppGroup)
def token():
    """API tokens for machine clients (110 push, partner systems)."""


@token.command("create")
@click.option("--user", "username", required=True, help="The user the token acts as (its agency and roles).")
@click.option("--name", required=True, help="Which system uses the token, such as '110 接警推送'.")
@engine_errors
def create_command(username, name):
    """Create a token and print it once."""
    created = create_token(username=username, name=name)
    click.echo(f"已创建 API 令牌 {created.id}（{created.name}），以用户 {created.username} 的身份调用接口：")
    click.echo(created.token)
    click.echo("请立即妥善保存：令牌只显示这一次，之后无法再次查看。"
               "Store it now: it is not shown again.", err=True)


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@engine_errors
def list_command(as_json):
    """List tokens (never the tokens themselves)."""
    tokens = list_tokens()
    if as_json:
        print_json([{**asdict(t), "active": t.active} for t in tokens])
        return
    if not tokens:
        click.echo("没有 API 令牌")
    for t in tokens:
        state = f"已吊销 {local_time(t.revoked_at)}" if t.revoked_at else "有效"
        click.echo(f"{t.id:>4}  {t.name:<20} 用户 {t.username:<16} [{state}]  创建 {local_time(t.created_at)}"
                   f"  最近使用 {local_time(t.last_used_at)}")


@token.command("revoke")
@click.argument("token_id", type=int)
@engine_errors
def revoke_command(token_id):
    """Revoke a token: it stops working at once."""
    revoke_token(token_id=token_id)
    click.echo(f"API 令牌 {token_id} 已吊销")
