"""The action server: rasa_sdk's app, bound to an address of our choosing
(127.0.0.1 by default) and answering only callers that know the token.

`rasa run actions` binds 0.0.0.0 and answers anyone, and its error handler
echoes the whole request body (the tracker, with the citizen's messages)
in the response. Here the token Rasa sends (`token` in endpoints.yml, a
query parameter) is required on every call but /health, and errors are
answered without the body.
"""

from __future__ import annotations

import hmac
import logging

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response

log = logging.getLogger(__name__)


def create_action_server(token: str) -> Sanic:
    if not token:
        raise ValueError("the action server needs a token (KOMMUNEBOT_ACTION_TOKEN)")
    app = create_app("actions", cors_origins=None)

    @app.middleware("request")
    async def require_token(request):
        if request.path == "/health":
            return None
        supplied = request.args.get("token") or ""
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            log.warning("refused an action-server call without the right token from %s", request.ip)
            return response.json({"error": "forbidden"}, status=403)
        return None

    async def quiet_errors(request, exception):
        # Never the request body: it is the whole conversation.
        log.error("action server failed on %s %s: %s", request.method, request.path, type(exception).__name__)
        status = getattr(exception, "status_code", 500)
        return response.json({"error": "the action server could not handle the request"}, status=status)

    app.error_handler.add(Exception, quiet_errors)
    return app


def serve_actions(host: str, port: int, token: str) -> None:
    from glue.blas import limit_serving_threads

    limit_serving_threads()
    app = create_action_server(token)
    app.run(host=host, port=port, workers=1, access_log=False, motd=False)
