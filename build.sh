#!/usr/bin/env bash
# Arker.Testing build entry point.
#   ./build.sh sample   install what is missing, then run the sample suites (samples/: xunit.v3, NUnit, MSTest, TUnit) on the embedded local server
#   ./build.sh test     install what is missing, then run every test (the command CI runs)
#   ./build.sh server   run the local Arker server on http://127.0.0.1:8787 (API key ark_local_test)
#   ./build.sh bench    run the benchmarks and print the figures of the README's performance table
set -euo pipefail
cd "$(dirname "$0")"

# The local server sandboxes VMs with bubblewrap; setpriv comes with util-linux. As root or not:
# without root it runs in a user namespace of its own (see the README). VMs see the
# host's /usr, so the tools the tests run inside them (python3, ps/pgrep) and node (which runs the
# official TypeScript SDK in the compatibility test) must be on the host.
ensure_prerequisites() {
  local missing=()
  command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
  command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  command -v pgrep >/dev/null 2>&1 || missing+=(procps)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v perl >/dev/null 2>&1 || missing+=(perl-base)
  if [ "$(id -u)" -ne 0 ]; then
    # Without root the local server makes a user namespace of its own: unshare and nsenter
    # (util-linux) hold and enter it, and a small perl helper makes its mounts.
    { command -v unshare && command -v nsenter; } >/dev/null 2>&1 || [[ " ${missing[*]} " == *" util-linux "* ]] || missing+=(util-linux)
  fi
  # Without root, VMs of an image have root inside through the user's subordinate ids, which
  # newuidmap and newgidmap map (a root run of the tests runs them as an ordinary user too).
  PATH="$PATH:/usr/sbin:/sbin" command -v newuidmap >/dev/null 2>&1 || missing+=(uidmap)
  # The samples' database per test installs PostgreSQL in VMs of an image: the tests' Debian image
  # (tests/images/debian-image.sh), which mmdebstrap builds once per machine from this machine's apt
  # archive, unpacked by umoci; dpkg-scanpackages indexes the packages VMs install from the
  # loopback address (see serve_images below).
  command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
  command -v dpkg-scanpackages >/dev/null 2>&1 || missing+=(dpkg-dev)
  command -v umoci >/dev/null 2>&1 || missing+=(umoci)
  command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
  if [ "${1:-}" = "test" ]; then
    # A test publishes a program with NativeAOT, which links with a C compiler and zlib.
    command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing+=(clang)
    [ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
    # A test runs the curl command printed for a kept VM; another checks the README's .gitignore with git.
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    # Network tests make a host "outside" this machine with ip (a network namespace and a veth pair).
    PATH="$PATH:/usr/sbin:/sbin" command -v ip >/dev/null 2>&1 || missing+=(iproute2)
    # A test compares the firewall a VM network's set-up loads through netlink with what nft loads.
    PATH="$PATH:/usr/sbin:/sbin" command -v nft >/dev/null 2>&1 || missing+=(nftables)
    command -v git >/dev/null 2>&1 || missing+=(git)
    # Tests fork VMs from container images (skopeo fetches them, umoci unpacks them), and one
    # runs the distribution's registry on the loopback address (its own, on a free port).
    command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing: ${missing[*]}. Install with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}

# The Arker service's ubuntu-base is, for the samples here, the tests' Debian image (built once per
# machine; see tests/images/debian-image.sh), and the packages its VMs install come from a
# repository served on the loopback address: nothing beyond this machine is reached while tests
# run. Elsewhere ubuntu-base is the official Ubuntu image (see the README, "Images").
serve_images() {
  local cache="$1" folder port
  folder=$(tests/images/debian-image.sh "$cache/test-images")
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server --bind 127.0.0.1 --directory "$folder/repo" "$port" >/dev/null 2>&1 &
  repository_server=$!
  trap 'kill "$repository_server" 2>/dev/null || true' EXIT
  export ARKER_TESTING_LOCAL_IMAGES="ubuntu-base=oci:$folder/layout:debian"
  export ARKER_SAMPLES_APT_REPOSITORY="$port"
}

case "${1:-test}" in
  test)
    ensure_prerequisites test
    # Test runs keep their caches in the temporary folder, not in ~/.cache (the test projects do
    # the same for themselves; this covers the samples the solution runs too).
    export XDG_CACHE_HOME="${TMPDIR:-/tmp}/arker-testing-tests-cache-$(id -un)"
    mkdir -p "$XDG_CACHE_HOME"
    serve_images "$XDG_CACHE_HOME"
    dotnet test -c Release
    ;;
  sample)
    ensure_prerequisites
    serve_images "${XDG_CACHE_HOME:-$HOME/.cache}/arker-testing-samples"
    dotnet test samples/Arker.Testing.Samples.Xunit -c Release
    dotnet test samples/Arker.Testing.Samples.NUnit -c Release
    dotnet test samples/Arker.Testing.Samples.MSTest -c Release
    dotnet test samples/Arker.Testing.Samples.TUnit -c Release
    ;;
  server)
    ensure_prerequisites
    dotnet run --project src/Arker.Testing.Local.Tool -c Release -- --urls http://127.0.0.1:8787 --api-key ark_local_test
    ;;
  bench)
    ensure_prerequisites
    shift
    dotnet run --project bench/Arker.Testing.Bench -c Release -- "$@"
    ;;
  *)
    echo "usage: ./build.sh [sample|test|server|bench]" >&2
    exit 2
    ;;
esac
