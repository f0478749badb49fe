#!/usr/bin/env bash
# Builds every executable the image ships, each by name (`swift build --product` takes one value: given several,
# the last wins), checks that each binary exists, and copies them into OUT. Before building, the resolved versions
# of all dependencies, transitive ones too, must equal deploy/resolved-versions.txt, the versions the tests ran with.
# Run from the package root by deploy/Dockerfile and by scripts/image-check (in a scratch copy of the repository).
#
#   deploy/build.sh OUT              resolve, check the versions, build release with a static Swift stdlib, copy
#   deploy/build.sh --check-versions check ./Package.resolved against the list (scripts/test, after its build)
#   deploy/build.sh --write-versions rewrite the list from ./Package.resolved (after an intended update)
set -euo pipefail

# The image's executables; a future dashboard joins this list (and compose.yaml), nothing else.
products=(ingester aggregator alerter devbroker)
versions_file=deploy/resolved-versions.txt

# "identity version" of every pin in ./Package.resolved, sorted; a pin on a branch or revision shows as "-".
resolved_versions() {
    [ -f Package.resolved ] || { echo "deploy/build.sh: no Package.resolved in $PWD (run swift package resolve)" >&2; return 1; }
    awk -F'"' '/"identity"/ { if (id != "") print id, v; id = $4; v = "-" } /"version" : "/ { v = $4 } END { if (id != "") print id, v }' \
        Package.resolved | sort
}

check_versions() {
    local expected
    expected=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$versions_file" | sort)
    if ! diff <(echo "$expected") <(resolved_versions) > /tmp/kakusa-versions.$$.diff; then
        echo "deploy/build.sh: resolved dependency versions differ from $versions_file (< listed, > resolved):" >&2
        cat /tmp/kakusa-versions.$$.diff >&2
        rm -f /tmp/kakusa-versions.$$.diff
        echo "If the update is intended, run the tests with it, then deploy/build.sh --write-versions and commit the list." >&2
        return 1
    fi
    rm -f /tmp/kakusa-versions.$$.diff
    echo "deploy/build.sh: $(echo "$expected" | wc -l) resolved versions match $versions_file" >&2
}

case "${1:-}" in
    --check-versions) check_versions; exit ;;
    --write-versions)
        { sed -n '/^#/p' "$versions_file" 2>/dev/null; resolved_versions; } > "$versions_file.new"
        mv "$versions_file.new" "$versions_file"
        echo "wrote $versions_file" >&2
        exit ;;
    "" | -*) echo "usage: deploy/build.sh OUT | --check-versions | --write-versions" >&2; exit 2 ;;
esac
out=$1

swift package resolve
check_versions
flags=(-c release --static-swift-stdlib)
for product in "${products[@]}"; do
    echo "== swift build ${flags[*]} --product $product" >&2
    swift build "${flags[@]}" --product "$product"
done
bin=$(swift build "${flags[@]}" --show-bin-path)
mkdir -p "$out"
for product in "${products[@]}"; do
    [ -x "$bin/$product" ] || { echo "deploy/build.sh: $bin/$product was not built" >&2; exit 1; }
    cp "$bin/$product" "$out/"
done
echo "deploy/build.sh: built ${products[*]} into $out" >&2
