# syntax=docker/dockerfile:1
# cloudnet-operator image: `cloudnet run` by default; the same image runs the
# cloud simulator (`cloudnet sim`) for the chart's simulator.enabled.
#
#   docker build -t cloudnet-operator:dev .
#
# Stage 1 builds the project's wheel (and wheels of its dependencies, the sim
# extra's included); stage 2 installs them into a venv, without compilers,
# caches or the source tree. Only operator/cloudnet is copied: the devkit
# (operator/cloudnet_devkit: the test Kubernetes API, the demo, the pytest
# fixtures) and the dev extra stay out of the image
# (tests/project/test_packaging.py checks both).
# The Python minor version must satisfy pyproject.toml's requires-python
# (tests/project/test_chart.py checks it).

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
# Only what the wheel needs (README.md: pyproject's `readme`).
COPY pyproject.toml README.md ./
COPY operator/cloudnet ./operator/cloudnet
RUN pip wheel --wheel-dir /wheels '.[sim]'

FROM ${PYTHON_IMAGE}
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
# The wheels are bind-mounted from the build stage, so no layer keeps them.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links=/wheels 'cloudnet-operator[sim]' \
    && /opt/venv/bin/pip uninstall --yes pip \
    && /opt/venv/bin/cloudnet --help >/dev/null
# A fixed non-root uid/gid (the chart's securityContext uses the same numbers).
RUN groupadd --system --gid 10001 cloudnet \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin cloudnet
USER 10001:10001
WORKDIR /tmp
# Metrics (once `cloudnet run` serves them) and the simulator's port.
EXPOSE 8080 18900
ENTRYPOINT ["cloudnet"]
CMD ["run"]
