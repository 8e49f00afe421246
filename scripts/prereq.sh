#!/bin/sh
# Installs the Debian packages tlbsim needs, only when pkg-config (or gnuplot,
# or GNU parallel) says something is missing. Uses sudo when not root. Safe to run repeatedly.
set -eu
missing=""
command -v cc >/dev/null 2>&1 || missing="$missing build-essential"
command -v make >/dev/null 2>&1 || missing="$missing build-essential"
if ! command -v pkg-config >/dev/null 2>&1; then
    missing="$missing pkg-config libglib2.0-dev libyaml-dev libcmocka-dev"
else
    pkg-config --exists glib-2.0 || missing="$missing libglib2.0-dev"
    pkg-config --exists yaml-0.1 || missing="$missing libyaml-dev"
    pkg-config --exists cmocka || missing="$missing libcmocka-dev"
fi
command -v gnuplot >/dev/null 2>&1 || missing="$missing gnuplot-nox"
# GNU parallel: runs `tlbsim sweep --emit-jobs` lines (and its test).
command -v parallel >/dev/null 2>&1 || missing="$missing parallel"
[ -z "$missing" ] && exit 0
# clang is used by the sanitizer build (make asan); install it alongside.
command -v clang >/dev/null 2>&1 || missing="$missing clang"
echo "tlbsim: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
