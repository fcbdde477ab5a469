"""Routes of the referral workflow: tracking 跟踪 (decision 0007). Every route goes through the policy."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import get_policy
from api.problems import responses

router = APIRouter(
    prefix="/api/v1",
    tags=["tracking 跟踪"],
    dependencies=[Depends(get_policy)],
    responses=responses(401, 403, 422, 503),
)
