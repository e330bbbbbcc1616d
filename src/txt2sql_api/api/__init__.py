"""HTTP: routes, access control, admission of streams, middleware and the OpenAPI document."""
