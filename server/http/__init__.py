"""The HTTP interface: shared plumbing (``plumbing``, ``errors``, ``schema``), then one module
per resource, each giving its routes and its part of the OpenAPI description (``openapi``
assembles them). Handlers read and validate the request, run one application command or read
in the store's threads, and answer; the rules live in the domain."""
