# BlockTrade checker image (for users' machines; the project's own tests run without Docker).
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine engine
COPY extractors extractors
COPY api api
COPY reports reports
COPY fabric fabric
COPY rules rules
COPY sanctions_data sanctions_data
RUN pip install --no-cache-dir .
ENV BLOCKTRADE_RULES=/app/rules
ENTRYPOINT ["blocktrade"]
CMD ["--help"]
