"""Tables: every message sent through the port, the receipts gateways sent back, and the
WeChat accounts families bound with their consent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.scope import SeniorScoped
from storage.types import UTCDateTime


class Message(SeniorScoped, Base):
    """One message to one person on one channel; a WeChat notice that failed is followed by
    its SMS (``fallback_of``)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(24))
    template: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    gateway: Mapped[str] = mapped_column(String(16))
    to_number: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(64))  # the number, or the WeChat openid
    body: Mapped[str] = mapped_column(Text)
    params: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(12), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True,
                                                             index=True)
    # An attempt in flight holds the message until then; a crashed attempt is retried after.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(String(255), nullable=True)
    senior_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    alarm_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    fallback_of: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MessageReceipt(Base):
    """A delivery report as the gateway sent it; ``message_id`` is null when it names no
    message of ours."""

    __tablename__ = "message_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gateway: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True, index=True)
    delivered: Mapped[bool] = mapped_column()
    status: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WechatBinding(Base):
    """A family contact's WeChat openid, stored only after they agreed to receive notices."""

    __tablename__ = "wechat_bindings"
    __table_args__ = (UniqueConstraint("contact_id", name="uq_wechat_bindings_contact_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("emergency_contacts.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(32), index=True)
    openid: Mapped[str] = mapped_column(String(64))
    consent_text: Mapped[str] = mapped_column(Text)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    link_sent_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
