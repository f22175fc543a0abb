"""Alarm tests drive the loops by hand; a registered senior to raise alarms for."""

import pytest

from config.settings import Settings
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.seniors.test_api import senior_body


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No background loops: each test calls escalate_once / check_time_rules_once itself."""
    return settings.model_copy(update={"run_background_tasks": False})


@pytest.fixture
async def senior_id(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now()
        )
        await session.commit()
        return senior.id
