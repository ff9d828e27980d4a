"""Delivery addresses (pure): email, WeCom member user id, WeCom group-robot key.

Checked where they are entered (tasks, when a person is saved; alerts, when the office
sets a unit's robot) and again just before a message is sent (alerts' delivery), so a
bad address ends its notification DEAD with a clear reason instead of jamming a batch.
Each ``*_problem`` function returns None for a good address, else a Chinese message.
"""

from __future__ import annotations

import re
from email.errors import HeaderParseError, MessageError
from email.headerregistry import Address
from urllib.parse import parse_qs, urlsplit

# WeCom: "长度为1~64个字节。只能由数字、字母和“_-@.”四种字符组成，且第一个字符必须是数字或字母"
WECOM_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-@.]{0,63}")
# a robot webhook key: the `key=` of https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...
ROBOT_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,99}")
DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
EMAIL_MAX = 254


def email_problem(value: str) -> str | None:
    """Parsed as an RFC 5322 addr-spec by the standard library, with a real domain."""
    if not value or len(value) > EMAIL_MAX:
        return "邮箱地址为空或过长"
    if any(c in value for c in "\r\n\t\0"):
        return "邮箱地址含有换行或控制字符"
    try:
        address = Address(addr_spec=value)
    except (ValueError, HeaderParseError, MessageError, IndexError) as e:
        return f"邮箱格式不正确: {e}"
    domain = address.domain
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "邮箱域名不正确"
    labels = ascii_domain.split(".")
    if not address.username or len(labels) < 2:
        return "邮箱格式不正确: 缺少用户名或域名"
    if not all(DOMAIN_LABEL.fullmatch(label) for label in labels):
        return "邮箱域名不正确"
    if labels[-1].isdigit():
        return "邮箱域名不正确"
    return None


def wecom_user_id_problem(value: str) -> str | None:
    if not WECOM_USER_ID.fullmatch(value or ""):
        return "企业微信账号只能由字母、数字和 _-@. 组成(1~64 个字符,以字母或数字开头)"
    return None


def robot_key_from(value: str) -> str:
    """The key itself when the office pastes the whole webhook URL; else the value, trimmed."""
    value = value.strip()
    if value.startswith(("http://", "https://")):
        keys = parse_qs(urlsplit(value).query).get("key")
        if keys:
            return keys[0].strip()
    return value


def robot_key_problem(value: str) -> str | None:
    if not ROBOT_KEY.fullmatch(value or ""):
        return "企业微信群机器人 key 格式不正确(应为 webhook 地址中 key= 之后的字母、数字和连字符)"
    return None


def address_problem(channel: str, address: str | None) -> str | None:
    """What is wrong with ``address`` for ``channel`` (None: fine to send)."""
    if not address:
        return "没有可用的接收地址"
    if channel == "EMAIL":
        return email_problem(address)
    if channel == "WECOM_APP":
        return wecom_user_id_problem(address)
    if channel == "WECOM_ROBOT":
        return robot_key_problem(address)
    return None
