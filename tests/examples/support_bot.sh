#!/usr/bin/env bash
# Runs the support bot example (offline, on the embedded emulator) and checks
# its transcript: every customer message, each followed by the bot's answer.
set -euo pipefail
cd "$(dirname "$0")/../.."

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
timeout 300 cargo run --quiet --locked -p acs-chat --features webhook --example support_bot >"$out"
cat "$out"

expect_line() {
  if ! grep -qF -- "$1" "$out"; then
    echo "support bot: missing from the transcript: $1" >&2
    exit 1
  fi
}
expect_line "subscribed the bot's webhook"
expect_line "Casey (customer): Hi! My order #1234 has not arrived yet."
expect_line "Support bot: Sorry about that! I am looking up order #1234 for you."
expect_line "Casey (customer): It was due last Friday. Can you check where it is?"
expect_line "Support bot: It left our warehouse on Monday and should reach you within two days."
expect_line "Casey (customer): Thank you, that helps!"
expect_line "Support bot: You're welcome! Is there anything else I can do?"
expect_line "6 messages, 3 answered by the bot."

# Customer and bot alternate: the n-th bot line follows the n-th customer line.
order="$(grep -E '^  \[[0-9:]+\] (Casey \(customer\)|Support bot):' "$out" | sed -E 's/^  \[[0-9:]+\] (Casey|Support).*/\1/' | tr '\n' ' ')"
if [ "$order" != "Casey Support Casey Support Casey Support " ]; then
  echo "support bot: unexpected order of speakers: $order" >&2
  exit 1
fi
echo "support bot: transcript checked"
