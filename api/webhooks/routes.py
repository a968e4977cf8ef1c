"""Every webhook router, for `create_app` to mount in one line (outside the API-key router)."""

from fastapi import APIRouter

from api.webhooks import lead_capture, sendgrid, twilio, unsubscribe

router = APIRouter()
router.include_router(sendgrid.router)
router.include_router(twilio.router)
router.include_router(unsubscribe.router)
router.include_router(lead_capture.router)
