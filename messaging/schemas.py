"""Bodies at the message port's edge: receipts as the gateways send them, binding links."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from storage.bounds import RowId


class AliyunReport(BaseModel):
    """One entry of Alibaba Cloud's SmsReport push (a JSON array of these)."""

    model_config = ConfigDict(extra="allow")
    biz_id: str = Field(min_length=1, max_length=64)
    success: bool
    err_code: str = Field(default="", max_length=64)


class TencentReport(BaseModel):
    """One entry of Tencent Cloud's status callback (a JSON array of these)."""

    model_config = ConfigDict(extra="allow")
    sid: str = Field(min_length=1, max_length=64)
    report_status: str = Field(pattern="^(SUCCESS|FAIL)$")
    errmsg: str = Field(default="", max_length=64)


class BindingLinkIn(BaseModel):
    contact_id: RowId


class BindingLinkOut(BaseModel):
    """The link to send the contact, and the same as a QR code (SVG) to show or print."""

    url: str
    qr_svg: str
    expires_at: datetime
