"""SMS through the telephony port (Twilio, the simulator): plain text, no templates."""

from __future__ import annotations

from dataclasses import dataclass

from twilio.base.exceptions import TwilioRestException

from callcenter.exceptions import NoPhoneNetworkError
from callcenter.port import TelephonyProvider
from messaging.port import Delivery, GatewayError


@dataclass
class TelephonySms:
    provider: TelephonyProvider
    name: str = "telephony"

    async def deliver(self, delivery: Delivery) -> str:
        try:
            return await self.provider.send_sms(to=delivery.address, body=delivery.text)
        except NoPhoneNetworkError as error:
            raise GatewayError("no phone network is configured", temporary=False) from error
        except TwilioRestException as error:
            raise GatewayError(f"Twilio refused: {error.status} {error.msg}",
                               temporary=error.status >= 500 or error.status == 429) from error
        except OSError as error:
            raise GatewayError(f"phone network unreachable: {error!r}", temporary=True) \
                from error
