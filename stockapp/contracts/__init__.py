"""The API's shapes: pydantic v2 models, one module per area."""
