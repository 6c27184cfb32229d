# Build: a static Go binary, compiled on the build machine's own platform
# ($BUILDPLATFORM) for the target's ($TARGETOS/$TARGETARCH): an arm64 image is
# cross-compiled, never built under emulation (QEMU made the Graph SDK's
# compile take many times longer). The Graph SDK's models package is large;
# GOGC trades a little build time for a much smaller memory peak on small
# runners.
#
# Base images are pinned by digest (the tag is kept for readers and for
# Dependabot, which proposes new digests weekly: .github/dependabot.yml).
# Check a digest with: docker buildx imagetools inspect <image>:<tag>
FROM --platform=$BUILDPLATFORM golang:1.26.8@sha256:6c2a5538f964f1c82f97ad14988bf05de100d922d159d0e398b54c7b0ca0c6c9 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath GOGC=50
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
# VERSION is the release tag (release.yml passes it): --version prints it.
# Empty (a fork's or an unreleased commit's `image: Dockerfile`), --version
# prints "devel": .git stays out of the build context (.dockerignore), so Go
# records neither a module version nor a commit.
ARG VERSION=
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -ldflags="-s -w -X main.version=${VERSION}" -o /out/entra-mattermost-sync .

# Run: distroless static has CA certificates and no shell. It runs as root
# because the Actions runner mounts its file-command files root-owned, and
# the entrypoint is exec form because a shell would drop INPUT_ variables
# whose names contain hyphens. This stage has no RUN step, so no platform
# needs emulation.
FROM gcr.io/distroless/static-debian12:latest@sha256:d75cdd72874d4790092fcb1b058493ecf6bb5bf2b2b897045b00ff01d91843f2
COPY --from=build /out/entra-mattermost-sync /entra-mattermost-sync
ENTRYPOINT ["/entra-mattermost-sync"]
