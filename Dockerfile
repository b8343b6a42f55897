# Builds the `tocsin` binary and runs it in a small image.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev nodejs npm && rm -rf /var/lib/apt/lists/* \
    && rustup target add wasm32-unknown-unknown
WORKDIR /src
COPY . .
# The web app first (wasm32), then the server that embeds it.
RUN ./scripts/build-release

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /data --create-home tocsin
COPY --from=build /src/target/release/tocsin /usr/local/bin/tocsin
USER tocsin
WORKDIR /data
ENV TOCSIN_BIND=0.0.0.0:8080 \
    TOCSIN_DATABASE_URL=/data/tocsin.db
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ready <&3"]
ENTRYPOINT ["tocsin"]
CMD ["serve"]
