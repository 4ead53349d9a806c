#!/usr/bin/env bash
# Refresh the vendored GraphiQL files in this folder from the npm registry.
#   api/static/graphiql/refresh.sh            the versions pinned below
#   GRAPHIQL=4.1.2 api/static/graphiql/refresh.sh   another version (then update README.md)
# Only the standalone (UMD) builds are copied, without their source maps: the page loads
# nothing from another origin, and a browser's developer tools then ask for no .map file.
set -euo pipefail
cd "$(dirname "$0")"

GRAPHIQL=${GRAPHIQL:-4.1.2}
EXPLORER=${EXPLORER:-4.0.6}  # @graphiql/plugin-explorer built against GraphiQL 4.1's @graphiql/react
REACT=${REACT:-18.3.1}       # React 19 ships no UMD build; GraphiQL 4 takes 18 or 19

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch <package@version> <folder>: the package's tarball, unpacked
  mkdir -p "$work/$2"
  (cd "$work" && npm pack --silent "$1" >"$2.name")
  tar xzf "$work/$(cat "$work/$2.name")" -C "$work/$2" --strip-components=1
}

fetch "graphiql@$GRAPHIQL" graphiql
fetch "@graphiql/plugin-explorer@$EXPLORER" explorer
fetch "react@$REACT" react
fetch "react-dom@$REACT" react-dom

copy() {  # copy <from> <to>: without the sourceMappingURL comment
  sed -E '/^\/[\/*][#@] sourceMappingURL=/d; s#/\*[#@] sourceMappingURL=[^*]*\*/##' "$1" >"$2"
}

copy "$work/react/umd/react.production.min.js" react.production.min.js
copy "$work/react-dom/umd/react-dom.production.min.js" react-dom.production.min.js
copy "$work/graphiql/graphiql.min.js" graphiql.min.js
copy "$work/graphiql/graphiql.min.css" graphiql.min.css
copy "$work/explorer/dist/index.umd.js" plugin-explorer.umd.js
copy "$work/explorer/dist/style.css" plugin-explorer.css
for p in graphiql react react-dom; do  # plugin-explorer ships no LICENSE file (MIT, README.md)
  cp "$work/$p/LICENSE" "LICENSE.$p"
done

# The page must load nothing from elsewhere: no remote @import or url() in the CSS (fonts are
# inlined as data: URLs), no source map comment anywhere.
if grep -Eq '@import|url\(["'"'"']?(https?:)?//' ./*.css; then
  echo "refresh.sh: a stylesheet loads something from another origin:" >&2
  grep -Eo '@import[^;]*|url\(["'"'"']?(https?:)?//[^)]*' ./*.css >&2
  exit 1
fi
if grep -l 'sourceMappingURL' ./*.js ./*.css; then
  echo "refresh.sh: a source map comment is left in the files above" >&2
  exit 1
fi
echo "GraphiQL $GRAPHIQL, plugin-explorer $EXPLORER, React $REACT: copied into $(pwd)"
