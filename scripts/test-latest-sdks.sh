#!/usr/bin/env bash
# Runs the given test files on Node 24 against the current majors of the SDKs (several need
# Node 22+), in a scratch copy of the project so the lockfile and node_modules stay untouched.
#   scripts/test-latest-sdks.sh test/connectors test/backends/gcp-secret-manager.test.ts
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$root/scripts/node24.sh")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$scratch")
cd "$scratch"
export PATH="$bin:$PATH"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
npm install --no-save --no-audit --no-fund --loglevel=error \
  openai@latest @anthropic-ai/sdk@latest @mendable/firecrawl-js@latest @google/genai@latest \
  @google-cloud/secret-manager@latest @azure/keyvault-secrets@latest @azure/identity@latest \
  @aws-sdk/client-secrets-manager@latest node-vault@latest pg@latest miniflare@latest \
  @aws-sdk/client-kms@latest @google-cloud/kms@latest @azure/keyvault-keys@latest \
  @mistralai/mistralai@latest cohere-ai@latest @aws-sdk/client-sts@latest \
  @google-cloud/bigquery@latest >/dev/null
echo "Node $(node --version); SDK versions:"
for package in openai @anthropic-ai/sdk @mendable/firecrawl-js @google/genai @google-cloud/secret-manager \
  @azure/keyvault-secrets @azure/identity @aws-sdk/client-secrets-manager node-vault pg miniflare \
  @aws-sdk/client-kms @google-cloud/kms @azure/keyvault-keys @mistralai/mistralai cohere-ai \
  @aws-sdk/client-sts @google-cloud/bigquery; do
  echo "  $package@$(node -p "require('./node_modules/$package/package.json').version")"
done
npx vitest run "$@"
