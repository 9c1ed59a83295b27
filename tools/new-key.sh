#!/bin/sh
# Mints a virtual key: prints the key (give it to its holder once) and the
# digest that goes into the governance file as "key_sha256".
set -eu
key="sk-llmgw-$(openssl rand -hex 24)"
digest=$(printf '%s' "$key" | openssl dgst -sha256 -r | cut -d' ' -f1)
printf 'key:        %s\nkey_sha256: %s\n' "$key" "$digest"
