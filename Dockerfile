# strider on ROS 2 Jazzy: rclnodejs built against the sourced ROS, Node 20, `strider run`.
# Not built in strider's own CI (no Docker engine there): see docs/ros2.md for what was verified.
#
#   docker build -t strider:jazzy .
#   docker run --rm -it --network host --ipc host -v "$PWD/runs:/runs" strider:jazzy
#   docker run --rm -it --network host --ipc host -v "$PWD/config:/opt/strider/config:ro" \
#       -v "$PWD/runs:/runs" strider:jazzy run --config /opt/strider/config/my_robot.yaml --out /runs/robot
# A config's relative robot.model resolves from the config's folder: mounted over
# /opt/strider/config, `../urdf/quadruped.urdf` is the image's /opt/strider/urdf/quadruped.urdf.
FROM ros:jazzy-ros-base

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Message packages rclnodejs generates JavaScript for (it reads every interface on
# AMENT_PREFIX_PATH at install time), plus build tools for its native binding.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential python3 curl ca-certificates xz-utils \
      ros-jazzy-common-interfaces ros-jazzy-control-msgs ros-jazzy-rosgraph-msgs \
 && rm -rf /var/lib/apt/lists/*

# Node 20 from the official release tarball, checked against the release's SHASUMS256.txt.
ARG NODE_VERSION=20.20.2
RUN arch="$(dpkg --print-architecture)"; \
    case "$arch" in amd64) node_arch=x64 ;; arm64) node_arch=arm64 ;; *) echo "unsupported arch $arch" >&2; exit 1 ;; esac; \
    tarball="node-v${NODE_VERSION}-linux-${node_arch}.tar.xz"; \
    cd /tmp \
 && curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/${tarball}" \
 && curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/SHASUMS256.txt" \
 && grep " ${tarball}\$" SHASUMS256.txt | sha256sum -c - \
 && tar -xJf "${tarball}" -C /usr/local --strip-components=1 --no-same-owner \
 && rm -f "${tarball}" SHASUMS256.txt \
 && node --version && npm --version

ENV STRIDER_HOME=/opt/strider
# glibc's malloc tuned from process start, as bin/strider.js's #! line does (a node in service
# otherwise creeps in native memory; docs/daemon.md). `docker run -e` overrides them.
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /opt/strider

# Dependencies first (cached layer). rclnodejs is an optional dependency: its install script
# takes its prebuilt binding for jazzy (x64, arm64) or builds one with node-gyp, and its
# postinstall generates the message classes from the sourced ROS, so ROS must be sourced here.
COPY package.json package-lock.json .npmrc ./
RUN source /opt/ros/jazzy/setup.bash \
 && npm ci --omit=dev \
 && node -e "require('rclnodejs'); console.log('rclnodejs', require('rclnodejs/package.json').version)"

COPY bin ./bin
COPY src ./src
COPY urdf ./urdf
COPY config ./config
COPY launch ./launch
COPY tsconfig.json ./

# The entrypoint sources ROS (rclnodejs loads its binding and the rmw from there), then runs
# strider with the arguments given to `docker run` (default: the shipped quadruped_ros2 config).
RUN printf '%s\n' '#!/bin/bash' 'set -e' 'source /opt/ros/jazzy/setup.bash' \
      'exec node /opt/strider/bin/strider.js "$@"' > /usr/local/bin/strider-entrypoint \
 && chmod +x /usr/local/bin/strider-entrypoint

ENTRYPOINT ["/usr/local/bin/strider-entrypoint"]
CMD ["run", "--config", "/opt/strider/config/quadruped_ros2.yaml", "--out", "/runs/latest"]
