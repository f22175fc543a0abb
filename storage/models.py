"""Imports every domain's tables so that Alembic and tests see the whole schema."""

import accounts.models  # noqa: F401
import liveness.models  # noqa: F401
import seniors.models  # noqa: F401
