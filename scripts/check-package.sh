#!/usr/bin/env bash
# Builds, then checks the package as published: publint, and @arethetypeswrong/cli on every
# fixed subpath of package.json's exports (the root, credkit/backend, credkit/connector, …) and on
# every credkit/backends/<name>, credkit/keys/<name> and credkit/connectors/<name> entry (attw
# cannot expand the wildcard exports itself). `--no-build` checks the dist already built (CI builds
# once for this and the smoke test).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != --no-build ]; then npm run --silent build >/dev/null; fi
npx publint --strict
fixed=$(node -p 'Object.keys(require("./package.json").exports).filter((key) => !key.includes("*") && !key.endsWith(".json")).join(" ")')
read -r -a entries <<<"$fixed"
for folder in src/backends/*/ src/keys/*/ src/connectors/*/; do
  kind=$(basename "$(dirname "$folder")")
  if [ "$kind" = connectors ] && [ ! -f "$folder/spec.ts" ]; then continue; fi
  entries+=("./$kind/$(basename "$folder")")
done
npx attw --pack . --profile node16 --entrypoints "${entries[@]}"
