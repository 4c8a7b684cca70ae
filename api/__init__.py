"""Service and command line: FastAPI app, persistence, jobs, the `blocktrade` CLI."""
