"""A registered senior for alarm tests."""

import pytest

from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.seniors.test_api import senior_body


@pytest.fixture
async def senior_id(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now()
        )
        await session.commit()
        return senior.id
