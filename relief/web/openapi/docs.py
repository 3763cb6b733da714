"""The contract itself: this OpenAPI document, the AsyncAPI document and the browsable page
(``relief/web/api_docs.py``)."""
from __future__ import annotations

from relief.web.openapi.parts import html, json, obj, op

TAG = "docs"

OPERATIONS = {
    "api_docs.openapi_document": op("This OpenAPI 3.1 document", tag=TAG,
                           responses=json(obj({"openapi": {"type": "string"}, "paths": obj()},
                                              required=["openapi", "paths"]))),
    "api_docs.asyncapi_document": op("The AsyncAPI 3.0 document of the live events (Socket.IO)", tag=TAG,
                            responses=json(obj({"asyncapi": {"type": "string"}, "channels": obj()},
                                               required=["asyncapi", "channels"]))),
    "api_docs.docs_page": op("The browsable API reference (Swagger UI, served from this site)", tag=TAG,
                             responses=html()),
}
