# BlockTrade image (for users' machines; the project's own tests run without Docker).
FROM python:3.11-slim-bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-spa \
      tesseract-ocr-ita tesseract-ocr-por tesseract-ocr-nld tesseract-ocr-chi-sim tesseract-ocr-ara \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine engine
COPY extractors extractors
COPY api api
COPY reports reports
COPY fabric fabric
COPY chaincode/lifecycle chaincode/lifecycle
COPY rules rules
COPY sanctions_data sanctions_data
# editable: the rule packs, sanctions sample and lifecycle spec are read from the source tree
RUN pip install --no-cache-dir -e .
ENV BLOCKTRADE_RULES=/app/rules BLOCKTRADE_DATA_DIR=/data
VOLUME /data
ENTRYPOINT ["blocktrade"]
CMD ["serve", "--host", "0.0.0.0"]
